"""moto's server, with DynamoDB requests applied one at a time.

moto serves each request on its own thread, and its DynamoDB backend checks a ConditionExpression
and then writes without a lock, so two concurrent conditional writes to one item can both succeed.
DynamoDB never allows that, and logvault's claims (a provisioning launch, an archived member) rely
on it. Serialising DynamoDB requests restores the guarantee; every other service stays concurrent
(SQS long polls must not wait behind one another).
"""

import sys
import threading

from moto.dynamodb.responses import DynamoHandler
from moto.server import main

_dynamodb = threading.Lock()
_call_action = DynamoHandler.call_action


def _serialised(self):
    with _dynamodb:
        return _call_action(self)


DynamoHandler.call_action = _serialised

if __name__ == "__main__":
    sys.exit(main())
