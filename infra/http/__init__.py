"""The HTTP adapters: thin layers over the application, like the CLI."""
