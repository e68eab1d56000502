"""nbgrader's settings for a digitlab class. Put this file at the top of the course folder (the
one holding `source/`) and run the nbgrader commands there; classroom/README.md has the steps.
On the class hub (jupyterhub_config.py) the students' servers read it too, for the exchange."""

import os
import pwd

from nbgrader.exchange.default.collect import ExchangeCollect

from digitlab import student

c = get_config()  # noqa: F821  (nbgrader provides it)

c.CourseDirectory.course_id = "digitlab"  # setup_class.py makes its exchange folder
c.Exchange.root = os.environ.get("NBGRADER_EXCHANGE", "/usr/local/share/nbgrader/exchange")
# The skeleton that ends in a hint, and the lessons' own checks left out: digitlab.student
# holds them, so `digitlab student` and `generate_assignment` cannot drift apart.
c.merge(student.nbgrader_settings())
c.GenerateAssignment.preprocessors = student.preprocessors(with_database=True)
# Training cells take minutes in full mode; give each cell time enough under autograde.
c.ExecutePreprocessor.timeout = 1800


class OwnSubmissionsCollect(ExchangeCollect):
    """Collect each student's submission only if that student's Unix user made it. nbgrader
    takes the student's name from the submission's folder name, which the submitter chooses
    (`nbgrader submit --student=ben`); on the class hub each student is a Unix user of that
    name, so the folder's owner says who really submitted it. (A name that is no Unix user here,
    as on a laptop where one user plays every student, cannot be checked: collected as is.)"""

    def _path_to_record(self, path):
        record = super()._path_to_record(path)
        owner = os.lstat(path).st_uid  # a link counts as its maker's
        try:
            real = pwd.getpwnam(record["username"]).pw_uid == owner
        except KeyError:
            real = True
        record["forged_by"] = None if real else _name(owner)
        if record["forged_by"]:  # never chosen over the student's own, whatever its time
            record["timestamp"] = record["timestamp"].replace(year=1)
            self.log.warning("Not collected: %s, submitted by %s, not by %s",
                             record["filename"], record["forged_by"], record["username"])
        return record

    def init_src(self):
        super().init_src()
        self.src_records = [r for r in self.src_records if not r["forged_by"]]


def _name(uid: int) -> str:
    try:
        return pwd.getpwuid(uid).pw_name
    except KeyError:
        return f"user id {uid}"


c.ExchangeFactory.collect = OwnSubmissionsCollect
