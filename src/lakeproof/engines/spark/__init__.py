"""The Spark driver: a standalone Spark cluster on loopback (master, two worker JVMs, a Spark Connect
server) reading the lab's objects through the fault proxy with S3A.

Nothing here is imported unless ``ENGINE=spark`` is chosen: pyspark is an optional extra
(``make venv-spark``), and Spark needs Java.
"""
