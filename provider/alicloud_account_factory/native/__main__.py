"""`python -m alicloud_account_factory.native <engine-address>`: what the plugin's executable runs."""

from .server import serve

serve()
