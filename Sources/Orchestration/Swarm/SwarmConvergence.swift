import DockerEngine

extension Orchestration {
    /// Whether a service's tasks run as its spec says, judged from one read of the service, its
    /// tasks and the nodes: pure, so `--wait`, depends_on and `ps` agree and tests can feed it.
    public enum SwarmConvergence {
        public enum Status: Sendable, Equatable {
            case converged
            /// Still on its way; what it waits for.
            case converging([String])
            /// Will not get there without a change: one line per failing task, with its node.
            case failed([String])
        }

        /// The errors Swarm keeps retrying but that a retry does not fix.
        static let permanentErrors = ["No such image", "no suitable node", "pull access denied", "manifest unknown", "not found"]

        /// An engine timestamp (RFC 3339, trailing zeros of the fraction dropped) that sorts as text:
        /// the fraction padded to nine digits.
        static func sortable(_ time: String?) -> String {
            guard let time, let dot = time.firstIndex(of: ".") else { return (time ?? "").replacingOccurrences(of: "Z", with: ".000000000Z") }
            let rest = time[time.index(after: dot)...]
            let digits = rest.prefix(while: \.isNumber)
            return String(time[..<dot]) + "." + digits.padding(toLength: 9, withPad: "0", startingAt: 0) + rest.dropFirst(digits.count)
        }

        /// `health`: task ID -> container health (`healthy`, `starting`, ...) where a healthy task is
        /// asked for and known; nil when running is enough.
        public static func status(
            service: DockerEngine.Service, tasks: [DockerEngine.SwarmTask], nodes: [DockerEngine.Node],
            health: [String: String]?
        ) -> Status {
            let hostnames = Dictionary(nodes.map { ($0.id, $0.description?.hostname ?? $0.id) }, uniquingKeysWith: { a, _ in a })
            func describe(_ t: DockerEngine.SwarmTask) -> String {
                let node = t.nodeID.flatMap { $0.isEmpty ? nil : hostnames[$0] ?? $0 } ?? "no node"
                let slot = t.slot.map { ".\($0)" } ?? ""
                var text = "\(service.spec?.name ?? service.id)\(slot) on \(node): \(t.status?.err ?? t.status?.message ?? t.status?.state?.rawValue ?? "?")"
                if let err = t.status?.err, err.contains("constraint"), let constraints = service.spec?.taskTemplate?.placement?.constraints,
                    !constraints.isEmpty
                {
                    text += " (placement constraints: \(constraints.joined(separator: ", ")))"
                }
                if let code = t.status?.containerStatus?.exitCode, code != 0 { text += " (exit code \(code)\(code == 137 ? ", killed: OOM or SIGKILL" : ""))" }
                return text
            }
            if let state = service.updateStatus?.state, [.paused, .rollbackCompleted, .rollbackPaused].contains(state) {
                return .failed(["update \(state.rawValue): \(service.updateStatus?.message ?? "")"])
            }
            let current = tasks.filter { $0.desiredState == .running }
            let running = current.filter { t in
                guard t.status?.state == .running else { return false }
                guard let health, let h = health[t.id] else { return true }
                return h == "healthy"
            }
            let desired: Int
            if let replicas = service.spec?.mode?.replicated?.replicas { desired = Int(replicas) } else { desired = max(current.count, 1) }
            // Tasks that failed and will be retried in vain, or cannot be placed.
            let stuck = current.filter { t in
                guard let err = t.status?.err, !err.isEmpty, t.status?.state != .running else { return false }
                return permanentErrors.contains { err.localizedCaseInsensitiveContains($0) }
            }
            // Failures of the spec in force only: tasks of an earlier version failed for their own reasons.
            let since = sortable(service.updatedAt)
            let failedHistory = tasks.filter { t in
                t.desiredState != .running && [.failed, .rejected].contains(t.status?.state) && sortable(t.createdAt) >= since
            }
            let updating = service.updateStatus?.state == .updating || service.updateStatus?.state == .rollbackStarted
            if running.count >= desired && current.count == running.count && !updating { return .converged }
            if !stuck.isEmpty { return .failed(stuck.map(describe)) }
            let permanent = failedHistory.filter { t in permanentErrors.contains { (t.status?.err ?? "").localizedCaseInsensitiveContains($0) } }
            if !permanent.isEmpty { return .failed(Array(Set(permanent.map(describe))).sorted()) }
            // A crash loop: the same slot failed three times.
            let bySlot = Dictionary(grouping: failedHistory, by: { $0.slot ?? 0 })
            if let loop = bySlot.values.first(where: { $0.count >= 3 }), let last = loop.max(by: { ($0.updatedAt ?? "") < ($1.updatedAt ?? "") }) {
                return .failed([describe(last) + " (failed \(loop.count) times)"])
            }
            var waiting = ["\(running.count)/\(desired) running"]
            waiting += current.filter { $0.status?.state != .running }.prefix(3).map(describe)
            return .converging(waiting)
        }
    }
}
