"""What the pipeline's steps share: where the data is, and the database."""
import os
import time

import psycopg2

DATASET = "/data/dataset.csv"
MODEL = "/models/model.pkl"

SCHEMA = """
create table if not exists runs (
    id serial primary key,
    finished_at timestamptz not null default now(),
    model text not null,
    device text not null,
    rows integer not null,
    accuracy real not null
);
create table if not exists predictions (
    id serial primary key,
    at timestamptz not null default now(),
    features text not null,
    predicted integer not null
);
"""


def connect(attempts=50):
    """The `db` service's database, as the environment names it; waits
    while it starts (depends_on waits for healthy, but a restart of db
    does not wait for us)."""
    for attempt in range(attempts):
        try:
            conn = psycopg2.connect(
                host=os.environ.get("DB_HOST", "db"),
                dbname=os.environ.get("DB_NAME", "ml"),
                user=os.environ.get("DB_USER", "postgres"),
                connect_timeout=5,
            )
            conn.autocommit = True
            with conn.cursor() as cur:
                cur.execute(SCHEMA)
            return conn
        except psycopg2.OperationalError:
            if attempt + 1 == attempts:
                raise
            time.sleep(0.2)
