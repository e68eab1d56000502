"""nbgrader's settings for a digitlab class. Put this file at the top of the course folder (the
one holding `source/`) and run the nbgrader commands there; classroom/README.md has the steps.
On the class hub (jupyterhub_config.py) the students' servers read it too, for the exchange.

A class of strangers is graded as hostile (digitlab/grading.py): autograde runs each submission
in the class's sandbox (digitlab/sandbox.py), not as the instructor; each student submits into
a folder of her own and collect takes only her own regular files; the feedback keeps no script;
the exchange's root is root's."""

import os

from nbgrader.converters import Autograde, GenerateFeedback
from nbgrader.preprocessors import Execute

from digitlab import grading, is_quick, student

c = get_config()  # noqa: F821  (nbgrader provides it)

c.CourseDirectory.course_id = "digitlab"  # setup_class.py makes its exchange folder
c.Exchange.root = os.environ.get("NBGRADER_EXCHANGE", "/usr/local/share/nbgrader/exchange")
# The skeleton that ends in a hint, and the lessons' own checks left out: digitlab.student
# holds them, so `digitlab student` and `generate_assignment` cannot drift apart.
c.merge(student.nbgrader_settings())
c.GenerateAssignment.preprocessors = student.preprocessors(with_database=True)

# Autograde: each notebook in the sandbox that setup_class.py made (CLASS/grade, run with sudo).
c.Autograde.autograde_preprocessors = [
    grading.SandboxedExecute if p is Execute else p
    for p in Autograde.class_traits()["autograde_preprocessors"].default()]
if os.environ.get("DIGITLAB_CLASS"):
    c.SandboxedExecute.command = ["sudo", "-n", os.path.join(os.environ["DIGITLAB_CLASS"], "grade")]
c.SandboxedExecute.quick = is_quick()  # DIGITLAB_QUICK=1 where nbgrader runs
# Training cells take minutes in full mode; give each cell time enough under autograde.
c.ExecutePreprocessor.timeout = 1800

for key, cls in grading.exchange_classes().items():
    setattr(c.ExchangeFactory, key, cls)
c.GenerateFeedback.preprocessors = [
    *GenerateFeedback.class_traits()["preprocessors"].default(), grading.SanitizeFeedback]
c.HTMLExporter.sanitize_html = True
