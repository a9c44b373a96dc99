"""Placeholder blueprint: being written."""
from flask import Blueprint

bp = Blueprint("maps", __name__)
