"""The joined model: attainment, lagging/gaps/targets, validated view state."""
