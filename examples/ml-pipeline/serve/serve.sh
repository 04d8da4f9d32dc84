#!/bin/sh
# Serves the models volume over HTTP on port 8000.
cat /srv/version.txt
exec httpd -f -p 8000 -h /models
