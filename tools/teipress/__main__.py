"""Allow ``python -m teipress``."""

from teipress.cli import main

main()
