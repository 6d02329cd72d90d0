import Testing
import Sampler
import TestSupport

@Suite struct SamplingPolicyTests {
    @Test func validatesRanges() {
        #expect(SamplingPolicy(temperature: 0.8).problem == nil)
        #expect(SamplingPolicy(temperature: 0).isGreedy)
        #expect(SamplingPolicy(temperature: -1).problem != nil)
        #expect(SamplingPolicy(temperature: .nan).problem != nil)
        #expect(SamplingPolicy(topK: 0).problem != nil)
        #expect(SamplingPolicy(topP: 0).problem != nil)
        #expect(SamplingPolicy(topP: 1.5).problem != nil)
        #expect(SamplingPolicy(topP: 1).problem == nil)
    }
}
