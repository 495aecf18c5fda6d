"""pylti1p3's view of our platforms: django-lti's `DjangoToolConfig`, made strict.

django-lti creates any deployment id a platform sends on first sight (then marks it inactive);
here a launch must name a deployment an admin registered and left active, so a platform cannot
open new deployments on its own.
"""

from lti_tool.models import LtiDeployment, LtiRegistration
from lti_tool.utils import DjangoToolConfig
from pylti1p3.deployment import Deployment


class StrictToolConfig(DjangoToolConfig):
    def find_registration_by_params(self, iss, client_id, *args, **kwargs):
        try:
            self.registration = LtiRegistration.objects.active().get(
                issuer=iss, client_id=client_id
            )
        except (LtiRegistration.DoesNotExist, LtiRegistration.MultipleObjectsReturned):
            return None
        return self.registration.to_registration()

    def find_deployment_by_params(self, iss, deployment_id, client_id, *args, **kwargs):
        try:
            self.deployment = LtiDeployment.objects.get(
                registration__issuer=iss,
                registration__client_id=client_id,
                registration__is_active=True,
                deployment_id=deployment_id,
                is_active=True,
            )
        except LtiDeployment.DoesNotExist:
            return None
        return Deployment().set_deployment_id(self.deployment.deployment_id)

    def find_deployment(self, iss, deployment_id):  # pragma: no cover - many-clients mode
        return None
