import ArgumentParser
import Compose
import DockerEngine
import Foundation
import Grafana
import Orchestration

extension StackPilot {
    /// `stackpilot up`: converge stacks (observe -> plan -> execute), then provision Grafana.
    struct Up: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "up",
            abstract: "Create and start the stacks: networks, volumes, images, containers, in dependency order.",
            discussion: """
                Without -f, brings up every stack of the manifest (stacks/stackpilot.yml) in order; with names, \
                only those stacks. With -f, NAMES are services of that file (and what they depend on). A second \
                `up` with nothing changed makes no engine write and says "up to date". --dry-run prints the plan \
                (each action with its reason) and changes nothing.
                """
        )

        @OptionGroup var stacks: Flags.Stacks
        @OptionGroup var engine: Flags.Engine
        @OptionGroup var swarm: Flags.Swarm

        @Argument(help: "Stacks of the manifest (or, with -f, services) to bring up; all when omitted.")
        var names: [String] = []

        @Flag(name: [.customShort("d"), .customLong("detach")], help: "Accepted for docker compose compatibility; up always returns once started.")
        var detach = false

        @Flag(name: .customLong("dry-run"), help: "Print the plan and stop; nothing is changed.")
        var dryRun = false

        @OptionGroup var output: Flags.Output

        @Flag(name: .customLong("wait"), help: "Wait until every service is running and healthy (or completed with 0).")
        var wait = false

        @Option(name: .customLong("wait-timeout"), help: ArgumentHelp("With --wait: give up after this long (e.g. 90s, 2m).", valueName: "duration"))
        var waitTimeout: DurationArgument?

        @Option(name: .customLong("pull"), help: "Pull policy for every service: missing, always, never or build.")
        var pull: String?

        @Flag(name: .customLong("build"), help: "Build images of services with build: before starting.")
        var build = false

        @Flag(name: .customLong("force-recreate"), help: "Recreate containers even when nothing changed.")
        var forceRecreate = false

        @Flag(name: .customLong("no-recreate"), help: "Never recreate existing containers.")
        var noRecreate = false

        @Flag(name: .customLong("no-start"), help: "Create containers but do not start them.")
        var noStart = false

        @Flag(name: .customLong("no-deps"), help: "With service names: do not bring up what they depend on.")
        var noDeps = false

        @Flag(name: .customLong("remove-orphans"), help: "Remove containers of services no longer in the file.")
        var removeOrphans = false

        @Flag(name: .customLong("no-provision"), help: "Do not provision Grafana after the stacks are up.")
        var noProvision = false

        @Option(name: .customLong("progress"), help: "Progress output: auto, tty, plain, json or quiet.")
        var progress: ProgressMode = .auto

        @Option(
            name: [.customShort("t"), .customLong("timeout")],
            help: ArgumentHelp("How long to wait for a container to stop when it is recreated (e.g. 10s, or seconds).", valueName: "duration"))
        var timeout: DurationArgument?

        func validate() throws {
            if let pull, Orchestration.PullPolicy(composeValue: pull) == nil {
                throw ValidationError("--pull must be missing, always, never or build, not \(pull)")
            }
            if forceRecreate && noRecreate { throw ValidationError("--force-recreate and --no-recreate cannot be used together") }
        }

        func run() async throws {
            if swarm.chosen(stacks) {
                return try await SwarmCommands.up(
                    stacks, engine: engine, swarm: swarm, names: names, dryRun: dryRun, format: output.format, wait: wait,
                    waitTimeout: waitTimeout?.duration,
                    removeOrphans: removeOrphans, progress: progress)
            }
            let withFiles = !stacks.files.isEmpty
            let (targets, _) = try stacks.targets(names: withFiles ? [] : names, requireFiles: true)
            let services = withFiles ? names : []
            if let only = targets.first?.desired, withFiles {
                for s in services where only.service(s) == nil {
                    throw CommandFailure(
                        badInput:
                            "no service named '\(s)' in \(stacks.files.joined(separator: ", ")) (services: \(only.services.map(\.name).joined(separator: ", ")))"
                    )
                }
            }
            let connection = try StackEngine(engine)
            let renderer = ProgressRenderer(mode: progress)
            let options = Orchestration.PlanOptions(
                services: services, removeOrphans: removeOrphans, forceRecreate: forceRecreate, noRecreate: noRecreate,
                pullOverride: pull.flatMap(Orchestration.PullPolicy.init(composeValue:)), build: build, noDeps: noDeps
            )
            let upOptions = Orchestration.UpOptions(
                start: !noStart, wait: wait, waitTimeout: waitTimeout?.duration,
                checkLocalResources: connection.isLocal, stopTimeout: timeout?.wholeSeconds
            )
            let dryRun = self.dryRun
            let format = output.format
            let plans = try await withInterruptCancellation { () async throws -> [Orchestration.Plan] in
                await connection.negotiate()
                var plans: [Orchestration.Plan] = []
                // In a dry run, what earlier stacks would create (a shared network) counts as there.
                var pendingNetworks: [DockerEngine.Network] = []
                var pendingVolumes: [DockerEngine.Volume] = []
                for target in targets {
                    guard let desired = target.desired else { continue }
                    let executor = Orchestration.Executor(engine: connection.backend, progress: renderer.handler(project: desired.name))
                    do {
                        var observed = try await executor.observe(desired)
                        if dryRun {
                            observed.networks += pendingNetworks
                            observed.volumes += pendingVolumes
                        }
                        let plan = try Orchestration.Planner.plan(desired, observed: observed, options: options)
                        plans.append(plan)
                        if dryRun {
                            pendingNetworks += plan.actions(.createNetwork).map { DockerEngine.Network(id: "", name: $0.target) }
                            pendingVolumes += plan.actions(.createVolume).map { DockerEngine.Volume(name: $0.target) }
                            continue
                        }
                        if plan.isUpToDate && plan.problems.isEmpty {
                            for w in plan.warnings { renderer.handle(.warning(w), project: desired.name) }
                            if upOptions.wait {
                                try await executor.up(desired, plan: plan, options: upOptions)
                            }
                            renderer.note("up to date", project: desired.name)
                            continue
                        }
                        try await executor.up(desired, plan: plan, options: upOptions)
                        renderer.note(Self.summary(plan), project: desired.name)
                    } catch {
                        throw stackFailure(error)
                    }
                }
                return plans
            }
            if dryRun {
                print(try OutputRenderer.render(PlansPayload(plans: plans), format: format), terminator: "")
                let problems = plans.flatMap { $0.problems }
                if !problems.isEmpty { throw CommandFailure(badInput: problems.joined(separator: "\n")) }
                return
            }
            let context = CommandContext(engine: engine, manifest: stacks.manifest)
            if let grafana = targets.first(where: { $0.desired?.service("grafana") != nil }), Self.grafanaPasswordIsDefault(context) {
                renderer.handle(.warning(Self.defaultPasswordWarning), project: grafana.projectName)
            }
            if !noProvision && !noStart {
                await Self.provisionHook(targets: targets, context: context, renderer: renderer)
            }
        }

        static let defaultPasswordWarning = """
            GRAFANA'S ADMIN PASSWORD IS THE DEFAULT "admin": anyone who reaches Grafana can take it over. \
            Set GRAFANA_ADMIN_PASSWORD in stacks/.env (or the environment) and run up again.
            """

        /// Whether the Grafana credentials, resolved as doctor resolves them, use the password "admin".
        static func grafanaPasswordIsDefault(_ context: CommandContext) -> Bool {
            guard let target = try? context.grafana(), case .basic(_, let password) = target.connection.credentials else { return false }
            return password == "admin"
        }

        static func summary(_ plan: Orchestration.Plan) -> String {
            var counts: [String: Int] = [:]
            for a in plan.actions where a.isWrite { counts[a.kind.rawValue, default: 0] += 1 }
            let unchanged = plan.actions(.upToDate).count
            var parts = counts.keys.sorted().map { "\($0) \(counts[$0]!)" }
            if unchanged > 0 { parts.append("unchanged \(unchanged)") }
            return "done (" + parts.joined(separator: ", ") + ")"
        }
    }
}

extension StackPilot.Up {
    /// Provisions Grafana once the stacks are up, when one of them has a grafana service: the
    /// provisioner `provision` uses, from the same context (up's own --manifest), so both read the
    /// same deployment. A failure is a warning: the stacks are up either way.
    static func provisionHook(targets: [StackTarget], context: CommandContext, renderer: ProgressRenderer) async {
        guard let project = targets.first(where: { $0.desired?.service("grafana") != nil })?.projectName else { return }
        renderer.note("provisioning Grafana (stackpilot provision; --no-provision skips this)", project: project)
        let advice = "run `stackpilot provision` once Grafana answers"
        do {
            let report = try await context.provisioner(healthTimeout: .seconds(60)).sync()
            print(try OutputRenderer.render(ProvisionPayload(report: report), format: .table, style: .stdout), terminator: "")
            if !report.succeeded {
                renderer.handle(.warning("Grafana provisioning failed for \(report.failures.count) item(s); \(advice)"), project: project)
            }
        } catch {
            renderer.handle(.warning("Grafana provisioning failed: \(CommandFailure(error).message); \(advice)"), project: project)
        }
    }
}
