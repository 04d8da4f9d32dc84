#include "runtime/object_names.h"

#include <cctype>
#include <random>

namespace stack::runtime {

std::string new_object_id() {
  std::random_device rd;
  static const char kHex[] = "0123456789abcdef";
  std::string id;
  for (int i = 0; i < 64; ++i) id += kHex[rd() % 16];
  return id;
}

bool valid_object_name(const std::string& n) {
  if (n.empty() || !std::isalnum(static_cast<unsigned char>(n[0]))) return false;
  for (char c : n)
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_' && c != '.' && c != '-') return false;
  return true;
}

}  // namespace stack::runtime
