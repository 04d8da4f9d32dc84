// pull and build: the images of a project's services, fetched or made ahead of `up`.
#include "compose/compose.h"
#include "compose/machine.h"

namespace stack::compose {

using runtime::Status;

Status Compose::pull(const ProjectRef& ref, const PullOptions& o) {
  std::vector<const schema::ServiceSpec*> services;
  if (Status s = named_services(*ref.project, o.services, &services); !s) return s;
  return machine_.pull(services, o, listener_);
}

Status Compose::build(const ProjectRef& ref, const ServiceBuildOptions& o) {
  std::vector<const schema::ServiceSpec*> services;
  if (Status s = named_services(*ref.project, o.services, &services); !s) return s;
  return machine_.build(*ref.project, services, o.build, listener_);
}

}  // namespace stack::compose
