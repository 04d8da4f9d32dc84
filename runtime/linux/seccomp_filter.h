// SeccompFilter: the default syscall filter (Docker's default profile, built with libseccomp) and JSON profiles.
#pragma once

#include <string>
#include <vector>

#include "runtime/container_spec.h"
#include "runtime/status.h"

namespace stack::runtime::linux_ {

// Filters are compiled in the parent, before clone, into a BPF program
// (struct sock_filter records) that the child loads just before execve.

// Docker's default policy, for every ABI this host runs (x86-64, i386 and
// x32 on x86-64; aarch64 and arm; ...): EPERM for what it does not list,
// an allowlist of ordinary syscalls, namespace and mount syscalls only
// with CAP_SYS_ADMIN among `capabilities`, clone without namespace flags,
// no AF_ALG/AF_VSOCK sockets, ENOSYS for every syscall number above the
// newest the filter knows on that ABI (so that libc falls back, as for
// clone3). Compiling takes milliseconds, so the program is cached in
// `cache_dir` (empty: no cache), named by a hash of everything it is made
// from.
Status default_seccomp_program(const std::vector<std::string>& capabilities, const std::string& cache_dir,
                               std::string* bpf);

// A profile in Docker's JSON format (defaultAction, architectures,
// archMap, syscalls[].names, action, errnoRet, args), for the profile's
// architectures that this host runs. Unless it allows by default, a
// syscall numbered above the newest it names returns ENOSYS.
Status profile_seccomp_program(const std::string& json_text, std::string* bpf);

// The filter a process of `spec` runs under, with `capabilities` (the
// init's, or an exec'd process's): the default one, the spec's profile, or
// none (empty) when unconfined.
Status seccomp_program_for(const ContainerSpec& spec, const std::vector<std::string>& capabilities,
                           const std::string& cache_dir, std::string* bpf);

// Installs `bpf` on the calling thread (no_new_privs or CAP_SYS_ADMIN needed).
Status load_seccomp_program(const std::string& bpf);

}  // namespace stack::runtime::linux_
