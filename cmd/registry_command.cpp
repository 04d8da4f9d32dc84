// `stack image pull|push`, `stack pull`, `stack push`, `stack login` and `stack logout`: images between registries and the local store.
#include <termios.h>
#include <unistd.h>

#include <iostream>
#include <memory>

#include "cmd/commands.h"
#include "compose/project_containers.h"
#include "compose/service_pulls.h"
#include "ui/transfer_progress.h"
#include "registry/credential_store.h"
#include "registry/image_push.h"
#include "compose/host.h"
#include "cmd/project_ref.h"
#include "ui/console_image_progress.h"

namespace stack::cmd {

using namespace stack::compose;

void add_image_pull_command(CLI::App* image, int& exit_code) {
  struct Flags {
    std::string reference, platform;
    bool quiet = false;
  };
  auto f = std::make_shared<Flags>();
  CLI::App* pull = image->add_subcommand("pull", "Pull an image from a registry");
  pull->add_option("reference", f->reference, "NAME[:TAG] or NAME@sha256:...")->required();
  pull->add_option("--platform", f->platform, "OS/ARCH[/VARIANT] to pick from a multi-platform image (default linux/amd64)");
  pull->add_flag("-q,--quiet", f->quiet, "Print only the image ID");
  pull->callback([f, &exit_code] {
    runtime::Image image;
    ui::ConsoleImageProgress progress;
    if (runtime::Status s = pull_image(f->reference, f->quiet, progress, &image, f->platform); !s) {
      std::cerr << "error: " << s.message() << "\n";
      exit_code = 1;
      return;
    }
    if (f->quiet) std::cout << image.config_digest << "\n";
    else std::cerr << "Pulled " << image.reference << " (" << image.id() << ")\n";
    exit_code = 0;
  });
}

void add_pull_command(CLI::App& app, const GlobalOptions& global, int& exit_code) {
  struct Flags {
    std::vector<std::string> services;
    bool quiet = false, ignore_failures = false;
  };
  auto f = std::make_shared<Flags>();
  CLI::App* pull = app.add_subcommand("pull", "Pull the images of services that run a registry image");
  pull->add_option("services", f->services, "SERVICE... (default: all)");
  pull->add_flag("-q,--quiet", f->quiet, "Print nothing but errors");
  pull->add_flag("--ignore-pull-failures", f->ignore_failures, "Warn about an image that fails and go on");
  pull->callback([f, &global, &exit_code] {
    exit_code = on_project(global, true, [&](compose::Compose& engine, const ProjectRef& ref, int*) {
      return engine.pull(ref, {f->services, f->quiet, f->ignore_failures});
    });
  });
}

runtime::Status push_image(const std::string& reference, bool quiet) {
  RegistrySettings settings;
  if (runtime::Status s = registry_settings(&settings); !s) return s;
  ui::ProgressDisplay display(std::cerr, !quiet && ::isatty(STDERR_FILENO));
  return registry::push_image(reference, settings.insecure, settings.credentials_path, runtime::ImageStore(images_root()),
                              ui::show_transfer(display, quiet));
}

void add_image_push_command(CLI::App* image, int& exit_code) {
  auto f = std::make_shared<std::pair<std::string, bool>>();
  CLI::App* push = image->add_subcommand("push", "Push a local image to the registry its name says");
  push->add_option("reference", f->first, "NAME[:TAG]")->required();
  push->add_flag("-q,--quiet", f->second, "Print nothing but errors");
  push->callback([f, &exit_code] {
    if (runtime::Status s = push_image(f->first, f->second); !s) {
      std::cerr << "error: " << s.message() << "\n";
      exit_code = 1;
      return;
    }
    exit_code = 0;
  });
}

void add_push_command(CLI::App& app, const GlobalOptions& global, int& exit_code) {
  struct Flags {
    std::vector<std::string> services;
    bool quiet = false, ignore_failures = false;
  };
  auto f = std::make_shared<Flags>();
  CLI::App* push = app.add_subcommand("push", "Push the images of services that name one (image:)");
  push->add_option("services", f->services, "SERVICE... (default: all)");
  push->add_flag("-q,--quiet", f->quiet, "Print nothing but errors");
  push->add_flag("--ignore-push-failures", f->ignore_failures, "Warn about an image that fails and go on");
  push->callback([f, &global, &exit_code] {
    std::optional<NamedServices> named = find_named_services(global, f->services);
    if (!named) {
      exit_code = 1;
      return;
    }
    exit_code = 0;
    for (const schema::ServiceSpec* s : named->services) {
      if (s->image.empty()) continue;  // nothing names where it would go
      if (runtime::Status st = push_image(s->image, f->quiet); !st) {
        std::cerr << (f->ignore_failures ? "warning: service " : "error: service ") << s->name << ": " << st.message() << "\n";
        if (!f->ignore_failures) {
          exit_code = 1;
          return;
        }
      }
    }
  });
}

namespace {

// A line from the terminal, not echoed when `secret`.
std::string prompt(const std::string& question, bool secret) {
  std::cerr << question << std::flush;
  termios saved{};
  bool hide = secret && ::tcgetattr(STDIN_FILENO, &saved) == 0;
  if (hide) {
    termios quiet = saved;
    quiet.c_lflag &= ~static_cast<tcflag_t>(ECHO);
    ::tcsetattr(STDIN_FILENO, TCSANOW, &quiet);
  }
  std::string line;
  std::getline(std::cin, line);
  if (hide) {
    ::tcsetattr(STDIN_FILENO, TCSANOW, &saved);
    std::cerr << "\n";
  }
  return line;
}

}  // namespace

void add_login_command(CLI::App& app, int& exit_code) {
  struct Flags {
    std::string server, username, password;
    bool password_stdin = false;
  };
  auto f = std::make_shared<Flags>();
  CLI::App* login = app.add_subcommand("login", "Log in to a registry (the login is kept in Docker's config.json)");
  login->add_option("server", f->server, "Registry host[:port] (default: Docker Hub)");
  login->add_option("-u,--username", f->username, "User name");
  login->add_option("-p,--password", f->password, "Password or token (prefer --password-stdin)");
  login->add_flag("--password-stdin", f->password_stdin, "Read the password from standard input");
  login->callback([f, &exit_code] {
    exit_code = 1;
    if (f->password_stdin && !f->password.empty()) {
      std::cerr << "error: --password and --password-stdin are exclusive\n";
      return;
    }
    bool terminal = ::isatty(STDIN_FILENO);
    if (f->username.empty() && terminal && !f->password_stdin) f->username = prompt("Username: ", false);
    if (f->username.empty()) {
      std::cerr << "error: a user name is needed (-u)\n";
      return;
    }
    if (f->password_stdin) {
      std::getline(std::cin, f->password);
      if (!f->password.empty() && f->password.back() == '\r') f->password.pop_back();
    } else if (f->password.empty() && terminal) {
      f->password = prompt("Password: ", true);
    } else if (!f->password.empty()) {
      std::cerr << "warning: a password on the command line is seen by other users' ps; use --password-stdin\n";
    }
    if (f->password.empty()) {
      std::cerr << "error: a password is needed (-p, --password-stdin, or on a terminal)\n";
      return;
    }
    RegistrySettings settings;
    if (runtime::Status s = registry_settings(&settings); !s) {
      std::cerr << "error: " << s.message() << "\n";
      return;
    }
    registry::RegistryLocation location = registry::locate_registry(f->server, settings.insecure);
    registry::RegistryClient client(location, registry::Credentials{f->username, f->password});
    if (runtime::Status s = client.check_login(); !s) {
      std::cerr << "error: " << s.message() << "\n";
      return;
    }
    registry::CredentialStore store(settings.credentials_path);
    if (runtime::Status s = store.store(location.host, {f->username, f->password}); !s) {
      std::cerr << "error: " << s.message() << "\n";
      return;
    }
    std::cerr << "Login to " << location.host << " saved in " << store.path() << "\n";
    std::cout << "Login Succeeded\n";
    exit_code = 0;
  });
}

void add_logout_command(CLI::App& app, int& exit_code) {
  auto server = std::make_shared<std::string>();
  CLI::App* logout = app.add_subcommand("logout", "Forget the login for a registry");
  logout->add_option("server", *server, "Registry host[:port] (default: Docker Hub)");
  logout->callback([server, &exit_code] {
    RegistrySettings settings;
    bool removed = false;
    registry::RegistryLocation location;
    runtime::Status s = registry_settings(&settings);
    if (s) {
      location = registry::locate_registry(*server, settings.insecure);
      s = registry::CredentialStore(settings.credentials_path).remove(location.host, &removed);
    }
    if (!s) {
      std::cerr << "error: " << s.message() << "\n";
      exit_code = 1;
      return;
    }
    std::cout << (removed ? "Removed login credentials for " : "Not logged in to ") << location.host << "\n";
    exit_code = 0;
  });
}

}  // namespace stack::cmd
