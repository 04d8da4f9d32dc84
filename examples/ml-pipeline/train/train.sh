#!/bin/sh
# "Trains" on /data/dataset.csv: the model is the number of rows it saw.
set -e
if [ "$1" = "--check" ]; then
  echo "train.sh is ready"
  exit 0
fi
wc -l < /data/dataset.csv > /models/model.txt
echo "trained on ${NVIDIA_VISIBLE_DEVICES:-the CPU}"
