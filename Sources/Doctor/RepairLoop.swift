import Grafana

extension Doctor {
    /// `doctor --fix`: applies a report's fixes, waits for what they repaired to settle (a started
    /// container's healthcheck, Prometheus' next scrape), and checks again. A repair can reveal the
    /// next one (Grafana started, then found unprovisioned), so this goes up to three rounds; a fix
    /// is never applied twice.
    public struct RepairLoop: Sendable {
        public var setup: Setup
        /// The groups the report covers (`--only`); nil for all.
        public var groups: Set<Group>?
        /// What `.provisionGrafana` runs; nil: that fix is reported as not possible here.
        public var provisioner: Grafana.Provisioner?
        public var settling: Settling
        /// The most rounds of fix-then-check.
        public var rounds: Int

        public init(setup: Setup, groups: Set<Group>? = nil, provisioner: Grafana.Provisioner?, settling: Settling = Settling(), rounds: Int = 3) {
            self.setup = setup
            self.groups = groups
            self.provisioner = provisioner
            self.settling = settling
            self.rounds = rounds
        }

        /// Returns the last report; `say` gets one line per step taken.
        public func run(_ first: Report, say: (String) -> Void) async -> Report {
            let runner = Runner()
            var report = first
            var tried: [Fix] = []
            for _ in 0..<max(0, rounds) {
                let fixes = Self.pending(report, tried: tried)
                guard !fixes.isEmpty else { break }
                tried += fixes
                for line in await apply(fixes) { say(line) }
                let waited = fixes.compactMap(\.service)
                if !waited.isEmpty { say("waiting for \(waited.joined(separator: ", ")) to run healthy, then checking again") }
                for (service, settlement) in await Doctor.waitForFixedContainers(setup.engine, fixes: fixes, timeout: settling.containerTimeout) {
                    if case .unsettled(let state) = settlement {
                        say("\(service) did not become healthy within \(Runner.format(settling.containerTimeout)): \(state)")
                    }
                }
                let checks = Doctor.checks(setup, only: groups)
                report = await runner.run(checks)
                // What the repaired services feed settles on its own schedule: Prometheus marks a
                // target up at its next scrape, Grafana's datasource health follows Prometheus.
                report = await runner.recheckFailures(
                    report, checks: checks, groups: [.stacks, .metrics, .prometheus, .grafana],
                    timeout: settling.recheckTimeout, pollInterval: settling.pollInterval)
            }
            return report
        }

        /// The distinct fixes of `report`, in report order, that were not tried yet. Pure.
        public static func pending(_ report: Report, tried: [Fix]) -> [Fix] {
            var fixes: [Fix] = []
            for fix in report.results.compactMap(\.finding.fix) where !tried.contains(fix) && !fixes.contains(fix) {
                fixes.append(fix)
            }
            return fixes
        }

        /// Applies each fix and says what it did.
        func apply(_ fixes: [Fix]) async -> [String] {
            var lines: [String] = []
            for fix in fixes {
                do {
                    switch fix {
                    case .startContainer(let id, _):
                        try await setup.engine.startContainer(id)
                    case .restartContainer(let id, _):
                        try await setup.engine.restartContainer(id, timeout: 10)
                    case .provisionGrafana:
                        guard let provisioner else { throw RepairError("no Grafana provisioner was given") }
                        let report = try await provisioner.sync()
                        guard report.succeeded else { throw RepairError("provisioning reported failures") }
                    }
                    lines.append("fixed: \(fix.description)")
                } catch {
                    lines.append("could not \(fix.description): \(error)")
                }
            }
            return lines
        }

        struct RepairError: Error, CustomStringConvertible {
            var description: String
            init(_ description: String) { self.description = description }
        }
    }
}

extension Doctor.Fix {
    /// The service whose container the fix starts or restarts; nil for fixes of no container.
    public var service: String? {
        switch self {
        case .startContainer(_, let service), .restartContainer(_, let service): service
        case .provisionGrafana: nil
        }
    }
}
