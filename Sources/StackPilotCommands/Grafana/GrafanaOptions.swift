import ArgumentParser
import Compose
import Foundation
import Grafana
import HTTPTransport
import Logging

/// Options `provision` and `export` share: where the manifest is, how long to wait for Grafana, output.
/// Connection comes from the environment and the manifest — never a secret on the command line.
struct GrafanaOptions: ParsableArguments {
    enum Format: String, ExpressibleByArgument, CaseIterable {
        case table, json
    }

    @Option(name: .customLong("manifest"), help: "Manifest (default: STACKPILOT_MANIFEST or stacks/stackpilot.yml); gives Grafana's URL, the credential variables and the dashboards folder.")
    var manifest: String?

    @Option(name: .customLong("timeout"), help: "Seconds to wait for Grafana's /api/health.")
    var timeout: Int = 60

    @Option(name: .customLong("format"), help: "Output format: table or json.")
    var format: Format = .table

    /// What the commands need, resolved from the environment and the manifest (if there is one).
    struct Resolved {
        var connection: Grafana.Connection
        var dashboardsDirectory: URL
        var provisioningDirectory: URL?
    }

    /// Where the credentials come from, first match wins (README, "Credentials"):
    /// 1. `GRAFANA_TOKEN` or `GRAFANA_TOKEN_FILE` (a service-account token, Bearer);
    /// 2. `GRAFANA_USER` / `GRAFANA_PASSWORD` or their `_FILE` variants (either one set counts);
    /// 3. the manifest's credential variables (`GRAFANA_ADMIN_USER` / `GRAFANA_ADMIN_PASSWORD`) from
    ///    the environment, then from the env file beside the manifest (stacks/.env) — exactly what
    ///    docker compose hands the grafana service, so a password set there for Grafana is the one
    ///    StackPilot sends;
    /// 4. the manifest's defaults (admin/admin). The URL: GRAFANA_URL, else the manifest's, else
    ///    http://127.0.0.1:3000.
    func resolve(environment: [String: String] = ProcessInfo.processInfo.environment) throws -> Resolved {
        let path = Manifest.locate(explicit: manifest, environment: environment)
        var loaded: Manifest?
        if manifest != nil || FileManager.default.fileExists(atPath: path) {
            do {
                loaded = try Manifest.load(path: path)
            } catch {
                throw GrafanaCommandError.badInput(error.description)
            }
        }
        var env = environment
        if let loaded {
            if env["GRAFANA_URL"] == nil { env["GRAFANA_URL"] = loaded.grafana.url }
            let hasOwn = ["GRAFANA_TOKEN", "GRAFANA_TOKEN_FILE", "GRAFANA_USER", "GRAFANA_USER_FILE", "GRAFANA_PASSWORD", "GRAFANA_PASSWORD_FILE"].contains { env[$0] != nil }
            if !hasOwn {
                let credentials: (user: String, password: String)
                do {
                    credentials = try loaded.grafanaCredentials(environment: environment)
                } catch {
                    throw GrafanaCommandError.badInput(error.description)
                }
                env["GRAFANA_USER"] = credentials.user
                env["GRAFANA_PASSWORD"] = credentials.password
            }
        }
        let connection: Grafana.Connection
        do {
            connection = try Grafana.Connection.fromEnvironment(env)
        } catch {
            throw GrafanaCommandError.badInput(error.description)
        }
        let cwd = URL(fileURLWithPath: FileManager.default.currentDirectoryPath)
        if let loaded {
            return Resolved(connection: connection,
                            dashboardsDirectory: URL(fileURLWithPath: loaded.dashboardsDirectory),
                            provisioningDirectory: URL(fileURLWithPath: loaded.directory).appendingPathComponent("grafana/provisioning"))
        }
        return Resolved(connection: connection, dashboardsDirectory: cwd.appendingPathComponent("dashboards"),
                        provisioningDirectory: cwd.appendingPathComponent("stacks/grafana/provisioning"))
    }

    func client(for connection: Grafana.Connection, logger: Logger) throws -> Grafana.Client {
        let transport: CurlTransport
        do {
            transport = try CurlTransport(endpoint: HTTPEndpoint(address: .url(connection.url)), logger: logger)
        } catch {
            throw GrafanaCommandError.badInput("Grafana URL \(connection.url): \(error.message)")
        }
        return Grafana.Client(transport: transport, connection: connection, logger: logger)
    }

    static func logger(_ label: String) -> Logger {
        var logger = Logger(label: label)
        logger.logLevel = ProcessInfo.processInfo.environment["STACKPILOT_DEBUG"] == nil ? .warning : .debug
        return logger
    }

    /// Prints a failure on stderr and maps it to the documented exit code (2 bad input, 1 failure).
    static func fail(_ error: any Error) -> ExitCode {
        switch error {
        case let error as GrafanaCommandError:
            printError(error.description)
            return ExitCode(2)
        case let error as Grafana.ProvisionError:
            printError(error.description)
            return ExitCode(error.isBadInput ? 2 : 1)
        case let error as Grafana.ClientError:
            printError(error.description)
            return ExitCode(1)
        default:
            printError(String(describing: error))
            return ExitCode(1)
        }
    }

    static func printError(_ message: String) {
        FileHandle.standardError.write(Data(("error: " + message + "\n").utf8))
    }

    static func json<T: Encodable>(_ value: T) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return (try? encoder.encode(value)).map { String(decoding: $0, as: UTF8.self) } ?? "{}"
    }

    /// Left-aligned columns separated by two spaces.
    static func table(_ header: [String], _ rows: [[String]]) -> String {
        let all = [header] + rows
        let widths = header.indices.map { column in all.map { $0[column].count }.max() ?? 0 }
        return all.map { row in
            row.enumerated().map { index, cell in
                index == row.count - 1 ? cell : cell.padding(toLength: widths[index], withPad: " ", startingAt: 0)
            }.joined(separator: "  ")
        }.joined(separator: "\n")
    }
}

/// Bad input found by the command layer (manifest, URL, credential files): exit 2, nothing sent.
enum GrafanaCommandError: Error, CustomStringConvertible {
    case badInput(String)
    var description: String {
        switch self {
        case .badInput(let message): message
        }
    }
}
