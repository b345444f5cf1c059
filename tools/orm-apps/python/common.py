"""What the Python ORM apps share: the command line, the rows to write, and the JSON they print.

Each app reads its objects through its own models and prints them with their Python types
tagged ({"$datetime": ...}, {"$decimal": ...}, {"$json": ...}), so a test sees a datetime that
came back as text, a boolean that came back as 1, or JSON that came back as a string.
"""
import datetime
import decimal
import json
import os
import sys
import traceback

DATA_FILE = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), 'data.json')
USAGE = 'commands: make-sqlite FILE | make-pg URL | fill TARGET local|production | read-back TARGET --json | insert-new TARGET'


def rows(set_name):
    with open(DATA_FILE, encoding='utf-8') as f:
        return json.load(f)[set_name]


def is_pg(target):
    return target.startswith('postgres://') or target.startswith('postgresql://')


def naive(text):
    """A naive UTC datetime from the data file's ISO text."""
    return datetime.datetime.fromisoformat(text)


def canon(value):
    if value is None or isinstance(value, (bool, int, str)):
        return value
    if isinstance(value, datetime.datetime):
        return {'$datetime': value.isoformat(timespec='microseconds')}
    if isinstance(value, datetime.date):
        return {'$date': value.isoformat()}
    if isinstance(value, decimal.Decimal):
        # Exact value, scale left out: 12.5 and 12.50 are one amount.
        return {'$decimal': format(value.normalize(), 'f')}
    if isinstance(value, float):
        return {'$float': repr(value)}
    if isinstance(value, (dict, list)):
        return {'$json': value}
    return {'$unexpected': type(value).__name__, 'repr': repr(value)}


def sort_objects(objects):
    return {table: sorted(items, key=lambda o: json.dumps(o, sort_keys=True)) for table, items in objects.items()}


def main(app):
    """Runs one command of `app` (an object with the five commands as methods) and prints its JSON."""
    args = [a for a in sys.argv[1:] if a != '--json']
    if len(args) < 2:
        sys.exit(USAGE)
    command, target, rest = args[0], args[1], args[2:]
    try:
        if command == 'make-sqlite':
            result = app.make(target)
        elif command == 'make-pg':
            if not is_pg(target):
                sys.exit('make-pg takes a postgres:// URL')
            result = app.make(target)
        elif command == 'fill':
            result = app.fill(target, rest[0] if rest else 'local')
        elif command == 'read-back':
            result = app.read_back(target)
            result['objects'] = sort_objects(result['objects'])
        elif command == 'insert-new':
            result = app.insert_new(target)
        else:
            sys.exit(USAGE)
    except Exception:  # the test shows the app's own error
        traceback.print_exc()
        sys.exit(1)
    json.dump(result, sys.stdout, sort_keys=True)
    sys.stdout.write('\n')
