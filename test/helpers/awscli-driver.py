# The AWS CLI's own entry point, run once per request in one long-lived Python process: the same
# parsing, serialization, signing and HTTP as `aws ARGS...`, without paying Python's and botocore's
# start-up (about a second of CPU) for every call. test/helpers/awscli.ts speaks to it.
# Protocol: one JSON array of arguments per line on stdin; one JSON object per line on stdout,
# {"code": exit status, "stdout": text, "stderr": text}. EOF on stdin ends the process.
import io
import json
import sys

import awscli.clidriver as clidriver

reply = sys.stdout
sys.argv[0] = "aws"  # the usage lines name the program as `aws` does


def run(args):
    out, err = io.BytesIO(), io.BytesIO()
    sys.stdout = io.TextIOWrapper(out, encoding='utf-8', write_through=True)
    sys.stderr = io.TextIOWrapper(err, encoding='utf-8', errors='replace', write_through=True)
    try:
        if hasattr(clidriver, 'AWSCLIEntryPoint'):  # awscli 2.x
            code = clidriver.AWSCLIEntryPoint().main(args)
        else:  # awscli 1.x
            code = clidriver.create_clidriver().main(args)
    except SystemExit as e:
        code = e.code if isinstance(e.code, int) else 1
    except BaseException as e:  # the CLI handles its own errors; anything else is this driver's
        print('awscli-driver: %r' % (e,), file=sys.stderr)
        code = 255
    finally:
        for w in (sys.stdout, sys.stderr):
            w.flush()
            w.detach()  # else closing the wrapper would close the buffer before it is read
        sys.stdout, sys.stderr = reply, sys.__stderr__
    return {'code': code if code is not None else 0,
            'stdout': out.getvalue().decode('utf-8', 'replace'),
            'stderr': err.getvalue().decode('utf-8', 'replace')}


for line in sys.stdin:
    if line.strip():
        reply.write(json.dumps(run(json.loads(line))) + '\n')
        reply.flush()
