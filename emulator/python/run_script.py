# Runs SCRIPT as `python3 SCRIPT` would (as __main__, its folder first on sys.path) and, however it ends
# (return, sys.exit, exception), writes its peak resident memory in KB (getrusage) to PEAK_FILE.
# argv: PEAK_FILE SCRIPT [ARGS...]
import atexit
import os
import resource
import runpy
import sys

peak_file, script = sys.argv[1], sys.argv[2]


def _peak():
    with open(peak_file, 'w') as f:
        f.write(str(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss))


atexit.register(_peak)
sys.argv = sys.argv[2:]
sys.path.insert(0, os.path.dirname(os.path.abspath(script)))
runpy.run_path(script, run_name='__main__')
