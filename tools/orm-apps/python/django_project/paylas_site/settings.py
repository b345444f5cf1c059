"""hesap paylaş as a Django project: the local SQLite file is `default`, production's PostgreSQL is `production`.

PAYLAS_SQLITE names the file and PAYLAS_DATABASE_URL the server (postgres://user:password@host:port/name).
"""
import os
from urllib.parse import unquote, urlsplit

SECRET_KEY = 'hesap-orm-test-only'
INSTALLED_APPS = ['django.contrib.contenttypes', 'django.contrib.auth', 'paylas']
USE_TZ = True
TIME_ZONE = 'UTC'
DEFAULT_AUTO_FIELD = 'django.db.models.BigAutoField'

DATABASES = {'default': {}}
if os.environ.get('PAYLAS_SQLITE'):
    DATABASES['default'] = {'ENGINE': 'django.db.backends.sqlite3', 'NAME': os.environ['PAYLAS_SQLITE']}
if os.environ.get('PAYLAS_DATABASE_URL'):
    url = urlsplit(os.environ['PAYLAS_DATABASE_URL'])
    DATABASES['production'] = {
        'ENGINE': 'django.db.backends.postgresql',
        'NAME': unquote(url.path.lstrip('/')),
        'USER': unquote(url.username or ''),
        'PASSWORD': unquote(url.password or ''),
        'HOST': url.hostname or '',
        'PORT': str(url.port or ''),
    }
