import ContainerStats
import DockerEngine
import Foundation
import HTTPTransport

extension Doctor {
    /// Engine: reachable, API version, disk space of the engine's data root.
    static func engineChecks(_ engine: DockerEngine.Client) -> [Check] {
        let socket = engine.endpoint.description
        return [
            Check(.engine, "reachable") {
                do {
                    let ping = try await engine.ping(timeout: .seconds(3))
                    return .ok(
                        "the engine answers on \(socket)", evidence: ["API \(ping.apiVersion?.description ?? "unknown"), OS \(ping.osType ?? "unknown")"])
                } catch {
                    return .failure(
                        "no engine answers on \(socket)", evidence: ["\(error)"],
                        remedy: [
                            "start the engine: scripts/setup (or `sudo systemctl start docker`, or `sudo dockerd &`)",
                            "if the engine is elsewhere, point DOCKER_HOST or --host at it",
                        ])
                }
            },
            Check(.engine, "api-version") {
                let version = try await engine.version()
                let negotiated = try await engine.apiVersion()
                let evidence = [
                    "engine \(version.version), engine API \(version.apiVersion) (min \(version.minAPIVersion ?? "?")), negotiated \(negotiated)",
                    "supported by stackpilot: \(DockerEngine.APIVersion.minimumSupported)–\(DockerEngine.APIVersion.maximumSupported)",
                ]
                return .ok("engine \(version.version), API \(negotiated)", evidence: evidence)
            },
            Check(.engine, "disk-space") {
                let info = try await engine.info()
                guard let root = info.dockerRootDir else {
                    return .notApplicable("the engine did not say where its data root is")
                }
                guard case .unixSocket = engine.endpoint.address else {
                    return .notApplicable("the engine is remote; its data root \(root) cannot be measured from here")
                }
                guard let space = DiskSpace.of(root) else {
                    return .notApplicable("cannot read \(root) from here (permissions?)")
                }
                let evidence = ["\(root): \(space.availableDescription) free of \(space.totalDescription) (\(space.percentAvailableDescription))"]
                let remedy = [
                    "free space: `docker system prune` removes stopped containers, unused networks and dangling images",
                    "Prometheus' TSDB grows with retention: lower --storage.tsdb.retention.time or move its volume",
                ]
                if space.fractionAvailable < 0.10 {
                    return .failure("less than 10 % free on the engine's data root", evidence: evidence, remedy: remedy)
                }
                if space.fractionAvailable < 0.20 {
                    return .warning("less than 20 % free on the engine's data root", evidence: evidence, remedy: remedy)
                }
                return .ok("\(space.percentAvailableDescription) free on \(root)", evidence: evidence)
            },
        ]
    }
}

/// Free space of a local file system, as `df` reports it (blocks available to unprivileged users).
struct DiskSpace: Sendable, Equatable {
    var total: UInt64
    var available: UInt64

    static func of(_ path: String) -> DiskSpace? {
        var fs = statvfs()
        guard statvfs(path, &fs) == 0 else { return nil }
        let blockSize = UInt64(fs.f_frsize)
        return DiskSpace(total: UInt64(fs.f_blocks) * blockSize, available: UInt64(fs.f_bavail) * blockSize)
    }

    var fractionAvailable: Double { total == 0 ? 0 : Double(available) / Double(total) }
    var availableDescription: String { ByteFormat.binary(available) }
    var totalDescription: String { ByteFormat.binary(total) }
    var percentAvailableDescription: String { String(format: "%.1f %%", fractionAvailable * 100) }
}
