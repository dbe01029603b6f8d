import Compose
import DockerEngine
import Doctor
import Foundation
import Grafana
import HTTPTransport
import Logging
import PrometheusAPI

/// The composition root of the commands: built from a command's option groups and the process
/// environment, it makes everything a command talks to — the engine client, the manifest, the
/// Prometheus and Grafana clients, the provisioner and doctor's setup — so no command builds one
/// itself and none calls another through its arguments.
///
/// Bad input (a manifest that does not load, a bad URL, an unreadable credential file) throws a
/// `CommandFailure` of kind `.badInput` before anything is contacted.
struct CommandContext: Sendable {
    var engineFlags: Flags.Engine
    /// `--manifest`, when given.
    var manifestFlag: String?
    var environment: [String: String]

    init(
        engine: Flags.Engine = Flags.Engine(), manifest: String? = nil,
        environment: [String: String] = ProcessInfo.processInfo.environment
    ) {
        self.engineFlags = engine
        self.manifestFlag = manifest
        self.environment = environment
    }

    /// A logger at warning level, or debug with `STACKPILOT_DEBUG` set.
    static func logger(_ label: String, environment: [String: String] = ProcessInfo.processInfo.environment) -> Logger {
        var logger = Logger(label: label)
        logger.logLevel = environment["STACKPILOT_DEBUG"] == nil ? .warning : .debug
        return logger
    }

    // MARK: engine

    /// The engine client (`--host`, `DOCKER_HOST`, `DOCKER_API_VERSION`); no request is made yet.
    func engine(logger: Logger = CommandContext.logger("stackpilot.docker")) throws(CommandFailure) -> DockerEngine.Client {
        try engineFlags.makeClient(logger: logger, environment: environment)
    }

    // MARK: manifest

    /// Where the manifest is: `--manifest`, else `STACKPILOT_MANIFEST`, else stacks/stackpilot.yml.
    var manifestPath: String { Compose.Manifest.locate(explicit: manifestFlag, environment: environment) }

    /// The manifest; nil when none was named and there is none at the default path.
    func optionalManifest() throws(CommandFailure) -> Compose.Manifest? {
        let path = manifestPath
        guard manifestFlag != nil || FileManager.default.fileExists(atPath: path) else { return nil }
        return try manifest()
    }

    /// The manifest, which must load.
    func manifest() throws(CommandFailure) -> Compose.Manifest {
        do {
            return try Compose.Manifest.load(path: manifestPath)
        } catch {
            throw CommandFailure(badInput: error.description)
        }
    }

    // MARK: Prometheus

    /// The Prometheus client of the manifest (or `url`, which replaces the manifest's).
    func prometheus(_ manifest: Compose.Manifest, url: String? = nil) throws(CommandFailure) -> PrometheusAPI.Client {
        let endpoint = url ?? manifest.prometheus.url
        let transport: CurlTransport
        do {
            transport = try CurlTransport(endpoint: HTTPEndpoint(address: .url(endpoint)), options: .init(connectTimeout: .seconds(2), timeout: .seconds(5)))
        } catch {
            throw CommandFailure(badInput: "Prometheus URL \(HTTPEndpoint.redactingCredentials(endpoint)) in \(manifest.path): \(error)")
        }
        return PrometheusAPI.Client(
            transport: transport, endpoint: endpoint, logger: Self.logger("stackpilot.prometheus", environment: environment),
            timeout: .seconds(5))
    }

    // MARK: Grafana

    /// Where Grafana is, how to log in, and where the repository's Grafana files are.
    struct GrafanaTarget: Sendable {
        var connection: Grafana.Connection
        var sources: Grafana.Sources
    }

    /// Grafana's connection and the repository's sources, resolved from the environment and the
    /// manifest (if there is one). Credentials, first match wins (Grafana module README):
    /// 1. `GRAFANA_TOKEN` or `GRAFANA_TOKEN_FILE` (a service-account token, Bearer);
    /// 2. `GRAFANA_USER` / `GRAFANA_PASSWORD` or their `_FILE` variants (either one set counts);
    /// 3. the manifest's credential variables from the environment, then from the env file beside
    ///    the manifest (stacks/.env) — what docker compose hands the grafana service;
    /// 4. the manifest's defaults (admin/admin).
    /// The URL: `GRAFANA_URL`, else the manifest's, else http://127.0.0.1:3000.
    func grafana() throws(CommandFailure) -> GrafanaTarget {
        let loaded = try optionalManifest()
        var env = environment
        if let loaded {
            if env["GRAFANA_URL"] == nil { env["GRAFANA_URL"] = loaded.grafana.url }
            let own = ["GRAFANA_TOKEN", "GRAFANA_TOKEN_FILE", "GRAFANA_USER", "GRAFANA_USER_FILE", "GRAFANA_PASSWORD", "GRAFANA_PASSWORD_FILE"]
            if !own.contains(where: { env[$0] != nil }) {
                let credentials: (user: String, password: String)
                do {
                    credentials = try loaded.grafanaCredentials(environment: environment)
                } catch {
                    throw CommandFailure(badInput: error.description)
                }
                env["GRAFANA_USER"] = credentials.user
                env["GRAFANA_PASSWORD"] = credentials.password
            }
        }
        let connection: Grafana.Connection
        do {
            connection = try Grafana.Connection.fromEnvironment(env)
        } catch {
            throw CommandFailure(badInput: error.description)
        }
        let root = URL(fileURLWithPath: FileManager.default.currentDirectoryPath)
        let dashboards = loaded.map { URL(fileURLWithPath: $0.dashboardsDirectory) } ?? root.appendingPathComponent("dashboards")
        let provisioning =
            loaded.map { URL(fileURLWithPath: $0.directory).appendingPathComponent("grafana/provisioning") }
            ?? root.appendingPathComponent("stacks/grafana/provisioning")
        let sources = Grafana.Sources(
            dashboardsDirectory: dashboards,
            datasourcesDirectory: provisioning.appendingPathComponent("datasources"),
            alertingDirectory: provisioning.appendingPathComponent("alerting"))
        return GrafanaTarget(connection: connection, sources: sources)
    }

    /// A Grafana client for `connection`.
    func grafanaClient(_ connection: Grafana.Connection, logger: Logger = CommandContext.logger("stackpilot.grafana")) throws(CommandFailure) -> Grafana.Client
    {
        let transport: CurlTransport
        do {
            transport = try CurlTransport(endpoint: HTTPEndpoint(address: .url(connection.url)), logger: logger)
        } catch {
            throw CommandFailure(badInput: "Grafana URL \(connection.url): \(error.message)")
        }
        return Grafana.Client(transport: transport, connection: connection, logger: logger)
    }

    /// The provisioner `provision`, `up`, `doctor --fix` and `supervise` share.
    func provisioner(healthTimeout: Duration, logger: Logger = CommandContext.logger("stackpilot.provision")) throws(CommandFailure) -> Grafana.Provisioner {
        let target = try grafana()
        return Grafana.Provisioner(client: try grafanaClient(target.connection, logger: logger), sources: target.sources, healthTimeout: healthTimeout)
    }

    // MARK: doctor

    /// Everything doctor's checks talk to. `prometheusURL` replaces the manifest's (supervise on the
    /// stack's network reaches Prometheus by its service name); `periodic` (supervise): the
    /// default-password check never tries admin/admin itself.
    func doctorSetup(engine client: DockerEngine.Client, prometheusURL: String? = nil, periodic: Bool = false) throws(CommandFailure) -> Doctor.Setup {
        var loaded = try manifest()
        let projects: [ComposeProject]
        do {
            projects = try loaded.loadProjects(environment: environment)
        } catch {
            throw CommandFailure(badInput: error.description)
        }
        if let prometheusURL { loaded.prometheus.url = prometheusURL }
        let prometheus = try prometheus(loaded)
        let target = try grafana()
        let desired: Grafana.DesiredState
        do {
            desired = try target.sources.load()
        } catch {
            throw CommandFailure(badInput: error.description)
        }
        let rules = desired.alertGroups.flatMap(\.rules)
        let grafana = Doctor.GrafanaSetup(
            client: try grafanaClient(target.connection),
            datasourceUID: desired.prometheusDatasourceUID,
            dashboardUIDs: desired.dashboards.compactMap(\.dashboard.uid),
            alertRuleUIDs: rules.compactMap { $0["uid"]?.stringValue },
            defaultPassword: Doctor.DefaultPasswordPolicy(
                stateFile: Doctor.DefaultPasswordPolicy.defaultStateFile(environment: environment),
                mayAttempt: !periodic))
        return Doctor.Setup(
            engine: client, manifest: loaded, projects: projects, prometheus: prometheus, grafana: grafana,
            alerts: rules.compactMap(GuideAlert.init(rule:)))
    }
}
