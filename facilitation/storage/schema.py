"""All tables of every area on one MetaData, for migrations and their consistency test."""

# Each area keeps its tables in its own `models` module; importing them here registers every
# table on Base.metadata. A new area with tables adds its module to this list.
from facilitation.access import models as _access  # noqa: F401
from facilitation.assignment import models as _assignment  # noqa: F401
from facilitation.invitations import models as _invitations  # noqa: F401
from facilitation.mail import models as _mail  # noqa: F401
from facilitation.openchat import models as _openchat  # noqa: F401
from facilitation.orgs import models as _orgs  # noqa: F401
from facilitation.registrations import models as _registrations  # noqa: F401
from facilitation.rosters import models as _rosters  # noqa: F401
from facilitation.search import models as _search  # noqa: F401
from facilitation.storage.models import Base
from facilitation.surveys import models as _surveys  # noqa: F401

metadata = Base.metadata
