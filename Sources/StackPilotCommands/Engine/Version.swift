import ArgumentParser
import DockerEngine
import Foundation
import Logging

extension StackPilot {
    /// `stackpilot version`: the client, the engine, and the API version they agreed on.
    struct Version: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "version",
            abstract: "Show the client, engine and negotiated Docker API versions.")

        @OptionGroup var engine: Flags.Engine
        @OptionGroup var output: Flags.Output

        func run() async throws {
            let client = try engine.makeClient()
            let report = try await VersionReport.gather(client: client)
            print(try OutputRenderer.render(report, format: output.format, style: .stdout), terminator: "")
        }
    }
}

/// What `stackpilot version` prints.
struct VersionReport: OutputRenderable, Equatable {
    struct Client: Encodable, Equatable {
        var version: String
        /// The API versions this client speaks, e.g. `1.41-1.56`.
        var apiVersions: String
        var os: String
        var arch: String
    }

    struct Engine: Encodable, Equatable {
        var endpoint: String
        var version: String
        /// The newest API the engine serves.
        var apiVersion: String
        var minAPIVersion: String?
        /// The version requests use: the lower of the engine's newest and the client's newest.
        var negotiatedAPIVersion: String
        var os: String?
        var operatingSystem: String?
        var arch: String?
        var kernelVersion: String?
        var cgroupVersion: String?
        var cgroupDriver: String?
        var goVersion: String?
        var gitCommit: String?
        var containerd: String?
        var runc: String?
    }

    var client: Client
    var engine: Engine

    static func gather(client: DockerEngine.Client) async throws(DockerEngine.Error) -> VersionReport {
        let negotiated = try await client.apiVersion()
        let version = try await client.version()
        let info = try await client.info()
        return make(client: client.endpoint.description, negotiated: negotiated, version: version, info: info)
    }

    static func make(
        client endpoint: String, negotiated: DockerEngine.APIVersion, version: DockerEngine.VersionResponse, info: DockerEngine.SystemInfo
    ) -> VersionReport {
        func component(_ name: String) -> String? {
            version.components?.first { $0.name.caseInsensitiveCompare(name) == .orderedSame }?.version
        }
        return VersionReport(
            client: Client(
                version: StackPilot.version,
                apiVersions: "\(DockerEngine.APIVersion.minimumSupported)-\(DockerEngine.APIVersion.maximumSupported)",
                os: Self.clientOS, arch: Self.clientArch),
            engine: Engine(
                endpoint: endpoint,
                version: version.version,
                apiVersion: version.apiVersion,
                minAPIVersion: version.minAPIVersion,
                negotiatedAPIVersion: negotiated.description,
                os: version.os ?? info.osType,
                operatingSystem: info.operatingSystem,
                arch: version.arch ?? info.architecture,
                kernelVersion: version.kernelVersion ?? info.kernelVersion,
                cgroupVersion: info.cgroupVersion,
                cgroupDriver: info.cgroupDriver,
                goVersion: version.goVersion,
                gitCommit: version.gitCommit,
                containerd: component("containerd"),
                runc: component("runc")))
    }

    var table: OutputTable {
        .sections([
            .init(
                "Client",
                [
                    .init("Version", client.version),
                    .init("API versions", client.apiVersions),
                    .init("OS/Arch", "\(client.os)/\(client.arch)"),
                ]),
            .init(
                "Engine",
                [
                    .init("Endpoint", engine.endpoint),
                    .init("Version", engine.version),
                    .init("API version", engine.apiVersion + (engine.minAPIVersion.map { " (minimum \($0))" } ?? "")),
                    .init("Negotiated API", engine.negotiatedAPIVersion),
                    .init("OS/Arch", "\(engine.os ?? "-")/\(engine.arch ?? "-")"),
                    .init("Operating system", engine.operatingSystem),
                    .init("Kernel", engine.kernelVersion),
                    .init("Cgroup", engine.cgroupVersion.map { "v\($0)" + (engine.cgroupDriver.map { " (\($0) driver)" } ?? "") }),
                    .init("containerd", engine.containerd),
                    .init("runc", engine.runc),
                ]),
        ])
    }

    static var clientOS: String {
        #if os(Linux)
            "linux"
        #elseif os(macOS)
            "darwin"
        #else
            "unknown"
        #endif
    }

    static var clientArch: String {
        #if arch(x86_64)
            "amd64"
        #elseif arch(arm64)
            "arm64"
        #else
            "unknown"
        #endif
    }
}
