#!/usr/bin/python3
"""Django's own command line for the project (makemigrations after a model change)."""
import os
import sys

if __name__ == '__main__':
    os.environ.setdefault('DJANGO_SETTINGS_MODULE', 'paylas_site.settings')
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)
