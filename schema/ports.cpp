// Published ports and exposed ports: short syntax expanded to the long one.
#include <charconv>

#include "schema/service_attributes.h"

namespace stack::schema {
namespace {

struct PortRange {
  int first = 0;
  int last = 0;
  int size() const { return last - first + 1; }
};

std::optional<PortRange> parse_range(std::string_view s, int min) {
  size_t dash = s.find('-');
  std::string_view a = s.substr(0, dash);
  std::string_view b = dash == std::string_view::npos ? a : s.substr(dash + 1);
  PortRange r;
  auto [pa, ea] = std::from_chars(a.data(), a.data() + a.size(), r.first);
  auto [pb, eb] = std::from_chars(b.data(), b.data() + b.size(), r.last);
  if (a.empty() || b.empty() || ea != std::errc() || eb != std::errc() || pa != a.data() + a.size() ||
      pb != b.data() + b.size())
    return std::nullopt;
  if (r.first < min || r.last > 65535 || r.first > r.last) return std::nullopt;
  return r;
}

std::optional<Node> port_entry(const Mark& mark, std::string host_ip, std::optional<std::string> published,
                               int target, std::string protocol) {
  Node e = Node::mapping(mark);
  e.set("mode", Node::string("ingress", mark));
  if (!host_ip.empty()) e.set("host_ip", Node::string(host_ip, mark));
  e.set("target", Node::integer(target, mark));
  if (published) e.set("published", Node::string(*published, mark));
  e.set("protocol", Node::string(protocol, mark));
  return e;
}

bool short_port(const Node& item, const std::string& path, NormalizeContext& cx, Node& out) {
  std::string spec = item.text();
  auto bad = [&](const std::string& why) {
    cx.diags.error(item.mark(), path, "invalid port \"" + spec + "\": " + why);
    return false;
  };
  std::string rest = spec;
  std::string protocol = "tcp";
  if (size_t slash = rest.rfind('/'); slash != std::string::npos) {
    protocol = rest.substr(slash + 1);
    rest.resize(slash);
    if (protocol != "tcp" && protocol != "udp" && protocol != "sctp")
      return bad("protocol must be tcp, udp or sctp");
  }
  std::string host_ip;
  if (!rest.empty() && rest[0] == '[') {
    size_t close = rest.find(']');
    if (close == std::string::npos || close + 1 >= rest.size() || rest[close + 1] != ':')
      return bad("expected [IPv6]:HOST_PORT:CONTAINER_PORT");
    host_ip = rest.substr(1, close - 1);
    rest = rest.substr(close + 2);
    if (rest.find(':') == std::string::npos) rest = ":" + rest;
  }
  std::vector<std::string> parts;
  size_t start = 0;
  for (size_t colon; (colon = rest.find(':', start)) != std::string::npos; start = colon + 1)
    parts.push_back(rest.substr(start, colon - start));
  parts.push_back(rest.substr(start));
  std::string host_part;
  if (parts.size() == 3) {
    if (!host_ip.empty()) return bad("two host addresses");
    host_ip = parts[0];
    host_part = parts[1];
  } else if (parts.size() == 2) {
    host_part = parts[0];
  } else if (parts.size() != 1) {
    return bad("expected [HOST_IP:][HOST_PORT:]CONTAINER_PORT[/PROTOCOL]");
  }
  auto container = parse_range(parts.back(), 1);
  if (!container) return bad("container port must be a number or range within 1-65535");
  if (host_part.empty()) {
    for (int p = container->first; p <= container->last; ++p)
      out.push_back(*port_entry(item.mark(), host_ip, std::nullopt, p, protocol));
    return true;
  }
  auto host = parse_range(host_part, 0);
  if (!host) return bad("host port must be a number or range within 0-65535");
  if (container->size() == 1) {
    std::string published = host->size() == 1 ? std::to_string(host->first) : host_part;
    out.push_back(*port_entry(item.mark(), host_ip, published, container->first, protocol));
    return true;
  }
  if (host->size() != container->size())
    return bad("host and container port ranges must be the same size");
  for (int i = 0; i < container->size(); ++i)
    out.push_back(*port_entry(item.mark(), host_ip, std::to_string(host->first + i), container->first + i, protocol));
  return true;
}

}  // namespace

std::optional<Node> normalize_ports(const Node& v, const std::string& path, NormalizeContext& cx) {
  if (!v.is_sequence()) {
    cx.diags.error(v.mark(), path, "expected a list of ports");
    return std::nullopt;
  }
  Node out = Node::sequence(v.mark());
  for (size_t i = 0; i < v.items().size(); ++i) {
    const Node& item = v.items()[i];
    std::string item_path = path_index(path, i);
    if (item.is_scalar()) {
      short_port(item, item_path, cx, out);
      continue;
    }
    const std::vector<Field> fields = {
        {"target", [](const Node& n, const std::string& p, NormalizeContext& c) { return check_int(n, p, c, 1, 65535); }},
        {"published",
         [](const Node& n, const std::string& p, NormalizeContext& c) -> std::optional<Node> {
           if (!n.is_scalar() || !parse_range(n.text(), 0)) {
             c.diags.error(n.mark(), p, "expected a port or port range within 0-65535");
             return std::nullopt;
           }
           return Node::string(n.text(), n.mark());
         }},
        {"host_ip", check_string},
        {"protocol", [](const Node& n, const std::string& p, NormalizeContext& c) { return check_enum(n, p, c, {"tcp", "udp", "sctp"}); }},
        {"mode", [](const Node& n, const std::string& p, NormalizeContext& c) { return check_enum(n, p, c, {"host", "ingress"}); }},
        {"name", check_string},
        {"app_protocol", check_string},
    };
    auto entry = check_object(item, item_path, cx, fields);
    if (!entry) continue;
    if (!entry->find("target")) {
      cx.diags.error(item.mark(), item_path, "missing required key \"target\"");
      continue;
    }
    if (!entry->find("protocol")) entry->set("protocol", Node::string("tcp", item.mark()));
    if (!entry->find("mode")) entry->set("mode", Node::string("ingress", item.mark()));
    out.push_back(std::move(*entry));
  }
  return out;
}

std::optional<Node> normalize_expose(const Node& v, const std::string& path, NormalizeContext& cx) {
  if (!v.is_sequence()) {
    cx.diags.error(v.mark(), path, "expected a list of ports");
    return std::nullopt;
  }
  Node out = Node::sequence(v.mark());
  for (size_t i = 0; i < v.items().size(); ++i) {
    const Node& item = v.items()[i];
    std::string spec = item.is_scalar() ? item.text() : "";
    std::string ports = spec.substr(0, spec.find('/'));
    std::string protocol = spec.find('/') == std::string::npos ? "tcp" : spec.substr(spec.find('/') + 1);
    if (!parse_range(ports, 1) || (protocol != "tcp" && protocol != "udp" && protocol != "sctp")) {
      cx.diags.error(item.mark(), path_index(path, i),
                     "expected a port or range within 1-65535 with an optional /tcp or /udp, got \"" + spec + "\"");
      continue;
    }
    out.push_back(Node::string(spec, item.mark()));
  }
  return out;
}

}  // namespace stack::schema
