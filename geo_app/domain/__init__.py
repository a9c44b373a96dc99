"""Facts of the programme: unit vintages, criteria sets, plan targets, Vietnamese text."""
