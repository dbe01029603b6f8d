import ArgumentParser
import Foundation
import Orchestration

extension StackPilot {
    /// `stackpilot ps`: service, container, state, health, ports, uptime, restarts.
    struct Ps: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "ps",
            abstract: "List the stacks' containers: service, state, health, ports, uptime, restarts.",
            discussion: "Without -f or -p, lists every stack of the manifest; -p NAME lists any compose project (docker compose's too)."
        )

        @OptionGroup var stacks: Flags.Stacks
        @OptionGroup var engine: Flags.Engine
        @OptionGroup var output: Flags.Output

        @Argument(help: "Services to list; all when omitted.")
        var services: [String] = []

        @Flag(name: [.customShort("a"), .customLong("all")], help: "Also list stopped containers.")
        var all = false

        func run() async throws {
            let (targets, _) = try stacks.targets()
            let connection = try StackEngine(engine)
            let executor = Orchestration.Executor(engine: connection.backend)
            var rows: [PsRow] = []
            for target in targets {
                do {
                    let found = try await executor.status(projectName: target.projectName, includeStopped: all)
                    rows += found.filter { services.isEmpty || services.contains($0.service) }.map { PsRow($0, now: Date()) }
                } catch {
                    throw stackFailure(error)
                }
            }
            print(try OutputRenderer.render(PsPayload(rows: rows), format: output.format, style: .stdout), terminator: "")
        }
    }
}

struct PsRow: Codable, Sendable {
    var project: String
    var service: String
    var container: String
    var state: String
    var health: String
    var exitCode: Int?
    var ports: [String]
    var startedAt: String
    var uptimeSeconds: Int?
    var restarts: Int

    init(_ c: Orchestration.ServiceContainer, now: Date) {
        project = c.project
        service = c.service
        container = c.details.name
        state = c.details.state.rawValue
        health = c.details.health == .none ? "" : c.details.health.rawValue
        exitCode = c.details.state == .exited || c.details.state == .dead ? c.details.exitCode : nil
        ports = c.details.ports
        startedAt = c.details.startedAt
        restarts = c.details.restartCount
        if c.details.state == .running, let started = Self.parseDate(c.details.startedAt) {
            uptimeSeconds = max(0, Int(now.timeIntervalSince(started)))
        }
    }

    static func parseDate(_ text: String) -> Date? {
        // The engine sends RFC 3339 with nanoseconds; ISO8601DateFormatter takes at most milliseconds.
        var t = text
        if let dot = t.firstIndex(of: "."), let z = t[dot...].firstIndex(where: { $0 == "Z" || $0 == "+" || $0 == "-" }) {
            let frac = t[t.index(after: dot)..<z].prefix(3)
            t = String(t[..<dot]) + "." + frac + String(t[z...])
        }
        let f = ISO8601DateFormatter()
        f.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        if let d = f.date(from: t) { return d }
        f.formatOptions = [.withInternetDateTime]
        return f.date(from: t)
    }

    static func duration(_ seconds: Int) -> String {
        if seconds < 60 { return "\(seconds)s" }
        if seconds < 3600 { return "\(seconds / 60)m\(seconds % 60)s" }
        if seconds < 86400 { return "\(seconds / 3600)h\((seconds % 3600) / 60)m" }
        return "\(seconds / 86400)d\((seconds % 86400) / 3600)h"
    }

    var stateText: String {
        if let exitCode { return "\(state) (\(exitCode))" }
        return state
    }
}

struct PsPayload: OutputRenderable, Sendable {
    var rows: [PsRow]

    func encode(to encoder: any Encoder) throws {
        var c = encoder.singleValueContainer()
        try c.encode(rows)
    }

    var table: OutputTable {
        .rows(headers: ["project", "service", "container", "state", "health", "ports", "uptime", "restarts"], rows: rows.map { r in
            [r.project, r.service, r.container, r.stateText, r.health.isEmpty ? "-" : r.health,
             r.ports.isEmpty ? "-" : r.ports.joined(separator: ", "), r.uptimeSeconds.map(PsRow.duration) ?? "-", String(r.restarts)]
        })
    }
}
