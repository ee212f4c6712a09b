"""Worked examples that the demo, the notebooks and the tests import (they need the
`examples` extra: pip install 'dynax[examples]')."""
