import Testing

@testable import Orchestration

@Suite("Orchestration.EngineErrorExplanation")
struct EngineErrorExplanationTests {
    struct Case: Sendable, CustomTestStringConvertible {
        var name: String
        var message: String
        /// A phrase the advice must contain; `nil`: no advice.
        var advice: String?
        var testDescription: String { name }
    }

    // Messages as engines 20.10-27 send them (the first is this machine's, see the integration test).
    @Test(
        "GPU errors of the engine get what to install; others are left alone",
        arguments: [
            Case(
                name: "no nvidia device driver",
                message: #"the Docker engine answered 500: could not select device driver "nvidia" with capabilities: [[gpu]]"#,
                advice: "nvidia-ctk runtime configure"),
            Case(
                name: "gpus: all without a driver name", message: #"could not select device driver "" with capabilities: [[gpu]]"#,
                advice: "NVIDIA container toolkit is not configured"),
            Case(
                name: "runtime: nvidia without the runtime", message: "the Docker engine answered 400: unknown or invalid runtime name: nvidia",
                advice: "runtime: nvidia"),
            Case(
                name: "CDI device without a spec", message: "the Docker engine answered 500: unresolvable CDI devices nvidia.com/gpu=all",
                advice: "nvidia-ctk cdi generate"),
            Case(
                name: "toolkit present, driver not loaded",
                message: "OCI runtime create failed: nvidia-container-cli: initialization error: nvml error: driver not loaded: unknown", advice: "nvidia-smi"),
            Case(
                name: "a port conflict", message: "the Docker engine answered 500: driver failed programming external connectivity: port is already allocated",
                advice: nil),
            Case(name: "no such image", message: "the Docker engine answered 404: No such image: busybox:none", advice: nil),
        ])
    func explain(_ c: Case) {
        let advice = Orchestration.EngineErrorExplanation.explain(c.message)
        if let expected = c.advice {
            #expect(advice?.contains(expected) == true, "\(String(describing: advice))")
            #expect(Orchestration.EngineErrorExplanation.annotate(c.message).hasPrefix(c.message + "; "))
        } else {
            #expect(advice == nil)
            #expect(Orchestration.EngineErrorExplanation.annotate(c.message) == c.message)
        }
    }

    @Test("a failed start keeps the engine's reason and adds the advice")
    func wrap() {
        struct EngineSaid: Error, CustomStringConvertible {
            var description: String { #"the Docker engine answered 500: could not select device driver "nvidia" with capabilities: [[gpu]]"# }
        }
        let error = Orchestration.Executor.wrap(EngineSaid(), operation: "start container", target: "app-model-api-1")
        guard case .engine(let operation, let target, let message) = error else {
            Issue.record("not an engine error: \(error)")
            return
        }
        #expect(operation == "start container" && target == "app-model-api-1")
        #expect(message.hasPrefix(EngineSaid().description + "; the NVIDIA container toolkit is not configured"))
    }
}
