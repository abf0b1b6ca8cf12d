"""Print the commands of README's "## Quick start" sh block, one per line (used by .ci/run)."""

import re
import sys
from pathlib import Path

text = Path(sys.argv[1]).read_text(encoding="utf-8")
section = text.split("## Quick start\n", 1)[1].split("\n## ", 1)[0]
(block,) = re.findall(r"```sh\n(.*?)```", section, flags=re.S)
print("\n".join(line for line in block.splitlines() if line.strip()))
