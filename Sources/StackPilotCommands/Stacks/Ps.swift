import ArgumentParser
import DockerEngine
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
        @OptionGroup var swarm: Flags.Swarm
        @OptionGroup var output: Flags.Output

        @Argument(help: "Services to list; all when omitted.")
        var services: [String] = []

        @Flag(name: [.customShort("a"), .customLong("all")], help: "Also list stopped containers.")
        var all = false

        func run() async throws {
            if swarm.chosen(stacks) { return try await SwarmCommands.ps(stacks, engine: engine, swarm: swarm, services: services, format: output.format) }
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

/// One container of `ps`. Its JSON uses docker compose v2's field names (`docker compose ps --format
/// json`: compose's api.ContainerSummary) for the fields both have, so scripts written for compose
/// work; `RestartCount`, `StartedAt` and `UptimeSeconds` are StackPilot's additions.
struct PsRow: Encodable, Sendable, Equatable {
    /// compose's PortPublisher.
    struct Publisher: Codable, Sendable, Equatable {
        var URL: String
        var TargetPort: Int
        var PublishedPort: Int
        var `Protocol`: String
    }

    var ID: String
    var Name: String
    var Names: [String]
    var Project: String
    var Service: String
    var State: String
    var Health: String
    var ExitCode: Int
    var Publishers: [Publisher]
    var Labels: [String: String]
    var RestartCount: Int
    var StartedAt: String
    var UptimeSeconds: Int?
    /// The engine's port strings ("127.0.0.1:9090->9090/tcp"), for the table.
    var ports: [String]

    private enum CodingKeys: String, CodingKey {
        case ID, Name, Names, Project, Service, State, Health, ExitCode, Publishers, Labels, RestartCount, StartedAt, UptimeSeconds
    }

    init(_ c: Orchestration.ServiceContainer, now: Date) {
        ID = c.details.id
        Name = c.details.shortName
        Names = [c.details.shortName]
        Project = c.project
        Service = c.service
        State = c.details.containerState.rawValue
        Health = [.none, .unknown].contains(c.details.healthStatus) ? "" : c.details.healthStatus.rawValue
        ExitCode = c.details.containerState.hasExited ? c.details.exitCode : 0
        ports = c.details.publishedPorts
        Publishers = c.details.publishedPorts.map(Self.publisher).sorted {
            ($0.URL, $0.TargetPort, $0.PublishedPort, $0.Protocol) < ($1.URL, $1.TargetPort, $1.PublishedPort, $1.Protocol)
        }
        Labels = c.details.config?.labels ?? [:]
        StartedAt = c.details.state?.startedAt ?? ""
        RestartCount = c.details.restartCount ?? 0
        if c.details.containerState == .running, let started = Self.parseDate(StartedAt) {
            UptimeSeconds = max(0, Int(now.timeIntervalSince(started)))
        }
    }

    /// "127.0.0.1:9090->9090/tcp" → URL 127.0.0.1, published 9090, target 9090, tcp; an unpublished
    /// "5000/tcp" has no URL and published port 0, as in compose.
    static func publisher(_ text: String) -> Publisher {
        let (ports, proto) = text.split(separator: "/", maxSplits: 1).map(String.init).splitFirst()
        var url = "", published = 0, target = 0
        if let arrow = ports.range(of: "->") {
            let host = String(ports[..<arrow.lowerBound])
            target = Int(ports[arrow.upperBound...]) ?? 0
            if let colon = host.lastIndex(of: ":") {
                url = String(host[..<colon])
                published = Int(host[host.index(after: colon)...]) ?? 0
            } else {
                published = Int(host) ?? 0
            }
        } else {
            target = Int(ports) ?? 0
        }
        return Publisher(URL: url, TargetPort: target, PublishedPort: published, Protocol: proto.isEmpty ? "tcp" : proto)
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
        State == "exited" || State == "dead" ? "\(State) (\(ExitCode))" : State
    }
}

struct PsPayload: OutputRenderable, Sendable {
    var rows: [PsRow]

    func encode(to encoder: any Encoder) throws {
        var c = encoder.singleValueContainer()
        try c.encode(rows)
    }

    var table: OutputTable {
        .rows(
            headers: ["project", "service", "container", "state", "health", "ports", "uptime", "restarts"],
            rows: rows.map { r in
                [
                    r.Project, r.Service, r.Name, r.stateText, r.Health.isEmpty ? "-" : r.Health,
                    r.ports.isEmpty ? "-" : r.ports.joined(separator: ", "), r.UptimeSeconds.map(PsRow.duration) ?? "-", String(r.RestartCount),
                ]
            })
    }
}

private extension Array where Element == String {
    /// The first element and the second (empty when absent).
    func splitFirst() -> (String, String) { (first ?? "", count > 1 ? self[1] : "") }
}
