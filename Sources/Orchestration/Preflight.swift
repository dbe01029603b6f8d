import Foundation

#if canImport(Glibc)
    import Glibc
#endif

extension Orchestration {
    /// Checks that can be made on this machine before anything is touched: bind-mount sources
    /// that do not exist, host ports that something else already holds. Meaningful only when the
    /// engine runs on this machine (a unix socket).
    public enum Preflight {
        public static func check(project: DesiredProject, plan: Plan) -> [String] {
            var problems: [String] = []
            let starting = Set(plan.actions.filter { $0.kind == .createContainer || $0.kind == .startContainer }.compactMap(\.service))
            let touched = Set(
                plan.actions.filter { $0.kind == .createContainer || $0.kind == .recreateContainer || $0.kind == .startContainer }.compactMap(\.service))
            var claimed: [String: String] = [:]
            for s in project.services where touched.contains(s.name) {
                for source in s.bindSources where !FileManager.default.fileExists(atPath: source) {
                    problems.append("service '\(s.name)': bind-mount source \(source) does not exist")
                }
                for p in s.publishedPorts {
                    let key = "\(p.hostIP.isEmpty ? "0.0.0.0" : p.hostIP):\(p.hostPort)/\(p.proto)"
                    if let other = claimed[key], other != s.name {
                        problems.append("services '\(other)' and '\(s.name)' both publish port \(key)")
                    }
                    claimed[key] = s.name
                    // A container being recreated holds its own port until it is removed.
                    if starting.contains(s.name), !isFree(p) {
                        problems.append("service '\(s.name)': port \(key) is already in use on this machine (stop what holds it, or change the published port)")
                    }
                }
            }
            return problems
        }

        /// Whether a local socket can bind the port right now (nothing is sent anywhere).
        public static func isFree(_ port: PublishedPort) -> Bool {
            let udp = port.proto.lowercased() == "udp"
            let host = port.hostIP.isEmpty || port.hostIP == "0.0.0.0" || port.hostIP == "::" ? "0.0.0.0" : port.hostIP
            var addr = sockaddr_in()
            addr.sin_family = sa_family_t(AF_INET)
            addr.sin_port = in_port_t(UInt16(port.hostPort).bigEndian)
            guard inet_pton(AF_INET, host, &addr.sin_addr) == 1 else { return true }
            let fd = socket(AF_INET, Int32(udp ? SOCK_DGRAM.rawValue : SOCK_STREAM.rawValue), 0)
            guard fd >= 0 else { return true }
            defer { close(fd) }
            var one: Int32 = 1
            setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
            let rc = withUnsafePointer(to: &addr) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
            }
            return rc == 0 || errno != EADDRINUSE
        }
    }
}
