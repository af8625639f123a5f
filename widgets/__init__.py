"""camtune workbench: all Qt code lives here."""
