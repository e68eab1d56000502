"""nbgrader's settings for a digitlab class. Put this file at the top of the course folder (the
one holding `source/`) and run the nbgrader commands there; classroom/README.md has the steps.
On the class hub (jupyterhub_config.py) the students' servers read it too, for the exchange."""

import os

from nbconvert.preprocessors import TagRemovePreprocessor
from nbgrader.converters import GenerateAssignment

c = get_config()  # noqa: F821  (nbgrader provides it)

c.CourseDirectory.course_id = "digitlab"
c.Exchange.root = os.environ.get("NBGRADER_EXCHANGE", "/usr/local/share/nbgrader/exchange")
# On the hub a student submits as the name the hub knows, not as the server's operating-system
# user (systemd's dynamic users are called jupyter-NAME).
hub_user, teacher = os.environ.get("JUPYTERHUB_USER"), os.environ.get("DIGITLAB_TEACHER")
if hub_user and hub_user != teacher:
    c.CourseDirectory.student_id = hub_user
# The course's exercises start with a placeholder that the friendly check answers with a hint:
# a `raise` in the skeleton, nbgrader's default, would stop Run All at the first exercise.
c.ClearSolutions.code_stub = {"python": "# YOUR CODE HERE"}
# Cells tagged `check` test the lesson's own results, not the student: students do not get them.
c.TagRemovePreprocessor.enabled = True
c.TagRemovePreprocessor.remove_cell_tags = ["check"]
c.GenerateAssignment.preprocessors = [
    TagRemovePreprocessor, *GenerateAssignment.class_traits()["preprocessors"].default()]
# Training cells take minutes in full mode; give each cell time enough under autograde.
c.ExecutePreprocessor.timeout = 1800
