"""The build daemon: ``teipress build`` handed to a process that keeps a build session.

A command-line build starts from nothing: an interpreter, the imports, a pool of
render workers that each compile the stylesheets, a checker, and every cache read
back from disk. A daemon (``teipress daemon start``) keeps those between builds in
a :class:`~teipress.session.BuildSession`, as ``teipress serve --watch`` does;
``teipress build`` finds it through a socket in the project's cache folder, sends
its options and prints what the daemon's build prints, ending with the same exit
status. The same tool's long-running helper pattern as Gradle's daemon or mypy's
dmypy.

The pieces, one module each:

- :mod:`teipress.daemon.protocol`: where the socket is, how messages are framed,
  and the key of what a daemon's builds depend on besides the project (the
  teipress code, the environment variables builds read);
- :mod:`teipress.daemon.client`: what ``teipress build`` does to hand a build over
  (and when it builds in its own process instead);
- :mod:`teipress.daemon.server`: the daemon's loop.

Only the user who started it can reach a daemon: its socket is a file of mode 0600
in the project's cache folder, and it answers only peers with its own user id.
"""
