"""`flask --app app users create|list|disable|enable|reset-password`: the editors and admins of /admin."""
from __future__ import annotations

import sys
from pathlib import Path

import click
from flask import current_app
from flask.cli import AppGroup

from geo_app.store.revisions import StoreError
from geo_app.store.users import MIN_PASSWORD_LENGTH, ROLES, UserStore

CLI_USER = "cli"
users_cli = AppGroup("users", help="Editors and admins who may sign in to /admin.")


def _users() -> UserStore:
    return UserStore(current_app.extensions["ntm_store"].revisions)


def _password(password_file: Path | None) -> str:
    """The password from the file's first line, else asked twice on the terminal (never echoed)."""
    if password_file is not None:
        try:
            lines = password_file.read_text(encoding="utf-8").splitlines()
        except (OSError, UnicodeDecodeError) as exc:
            _fail(f"cannot read the password file {password_file}: {exc}")
        return lines[0] if lines else ""
    return click.prompt(f"Password (at least {MIN_PASSWORD_LENGTH} characters)", hide_input=True,
                        confirmation_prompt="Repeat the password")


def _fail(message: str) -> None:
    click.echo(f"error: {message}", err=True)
    sys.exit(1)


@users_cli.command("create")
@click.argument("name")
@click.option("--role", type=click.Choice(ROLES), required=True, help="editor: upload, commit, roll back; "
              "admin: also manages users.")
@click.option("--password-file", type=click.Path(path_type=Path, dir_okay=False), default=None,
              help="Read the password from this file's first line instead of asking.")
def create_command(name: str, role: str, password_file: Path | None) -> None:
    """Create a user who may sign in to /admin."""
    try:
        user = _users().create(name, role, _password(password_file), CLI_USER)
    except StoreError as exc:
        _fail(str(exc))
    click.echo(f"user {user.name} ({user.role}) created")


@users_cli.command("list")
def list_command() -> None:
    """Every user, with role and whether they may sign in."""
    rows = _users().list()
    if not rows:
        click.echo("no users yet; create one with `flask --app app users create NAME --role admin`")
    for u in rows:
        click.echo(f"{u.name:<24} {u.role:<7} {'active' if u.active else 'disabled':<9} created {u.created_at}")


@users_cli.command("disable")
@click.argument("name")
def disable_command(name: str) -> None:
    """Stop a user from signing in (their open sessions end at once)."""
    _set_active(name, False)


@users_cli.command("enable")
@click.argument("name")
def enable_command(name: str) -> None:
    """Let a disabled user sign in again."""
    _set_active(name, True)


def _set_active(name: str, active: bool) -> None:
    try:
        user = _users().set_active(name, active, CLI_USER)
    except StoreError as exc:
        _fail(str(exc))
    click.echo(f"user {user.name} {'enabled' if active else 'disabled'}")


@users_cli.command("reset-password")
@click.argument("name")
@click.option("--password-file", type=click.Path(path_type=Path, dir_okay=False), default=None,
              help="Read the new password from this file's first line instead of asking.")
def reset_password_command(name: str, password_file: Path | None) -> None:
    """Set a new password (the user's open sessions end at once)."""
    users = _users()
    if users.get(name) is None:
        _fail(f"there is no user named {name}; see `flask --app app users list`")
    try:
        user = users.reset_password(name, _password(password_file), CLI_USER)
    except StoreError as exc:
        _fail(str(exc))
    click.echo(f"password of {user.name} reset; their sessions were ended")
