"""JupyterHub for one digitlab class on one server (classroom/README.md has the steps).

Students sign up with a password of their own (NativeAuthenticator); those on the class list
get in at once, anyone else waits for the instructor's approval. Each student's JupyterLab runs
in a systemd unit of its own, under a user id of its own, with the memory and CPU limits below
enforced by the kernel. Servers idle for an hour are stopped. MNIST comes from one shared,
read-only folder; nbgrader's exchange carries assignments between instructor and students.

Everything site-specific comes from the environment, so this file is used as it is:
  DIGITLAB_CLASS     the class's folder (default /srv/digitlab): class-list.txt (one username
                     per line), mnist/ (`digitlab data --export`), exchange/ (nbgrader's),
                     and the hub's own state
  DIGITLAB_TEACHER   the instructor's username (default "instructor"): the hub's admin
"""

import os
import sys
from pathlib import Path

c = get_config()  # noqa: F821  (JupyterHub provides it)

CLASS = Path(os.environ.get("DIGITLAB_CLASS", "/srv/digitlab"))
TEACHER = os.environ.get("DIGITLAB_TEACHER", "instructor")
# From the sizing table in docs/instructor-guide.md: notebook 04, the largest, peaks at 1.8 GB.
MEMORY_LIMIT = "3G"
IDLE_MINUTES = 60

# Who: the class list and the instructor; students choose their passwords when they sign up.
c.JupyterHub.authenticator_class = "nativeauthenticator.NativeAuthenticator"
class_list = CLASS / "class-list.txt"
students = set(class_list.read_text().split()) if class_list.exists() else set()
c.Authenticator.allowed_users = students | {TEACHER}
c.Authenticator.admin_users = {TEACHER}
c.NativeAuthenticator.minimum_password_length = 8

# Where: each student in a transient systemd unit with its own user id and home, limits enforced.
c.JupyterHub.spawner_class = "systemdspawner.SystemdSpawner"
c.SystemdSpawner.dynamic_users = True
c.Spawner.mem_limit = MEMORY_LIMIT
c.Spawner.cpu_limit = 1.0  # one core's worth each: training students do not starve the rest
c.Spawner.default_url = "/lab"
c.Spawner.environment = {
    "DIGITLAB_DATA": str(CLASS / "mnist"),  # read-only and shared: no download per student
    # nbgrader's student side (fetch, submit) finds the course and the exchange here
    "JUPYTER_CONFIG_PATH": str(Path(__file__).resolve().parent),
    "NBGRADER_EXCHANGE": str(CLASS / "exchange"),
    "DIGITLAB_TEACHER": TEACHER,
}

# When: stop servers idle for an hour, so a forgotten tab does not hold 2 GB all afternoon.
c.JupyterHub.services = [{
    "name": "idle-culler",
    "command": [sys.executable, "-m", "jupyterhub_idle_culler",
                f"--timeout={IDLE_MINUTES * 60}"],
}]
c.JupyterHub.load_roles = [{
    "name": "idle-culler",
    "scopes": ["list:users", "read:users:activity", "read:servers", "delete:servers"],
    "services": ["idle-culler"],
}]

c.JupyterHub.db_url = f"sqlite:///{CLASS / 'jupyterhub.sqlite'}"
c.JupyterHub.cookie_secret_file = str(CLASS / "jupyterhub_cookie_secret")
