import { defineConfig } from 'vitest/config'

// Two projects, both part of the one test command: unit tests are pure and fast; integration
// tests talk to the real Kafka and InfluxDB of the local stack and run one file at a time
// (2 cores, one broker).
export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'unit',
          include: ['test/unit/**/*.test.ts'],
          environment: 'node',
        },
      },
      {
        test: {
          name: 'integration',
          include: ['test/integration/**/*.test.ts'],
          environment: 'node',
          fileParallelism: false,
          testTimeout: 120_000,
          hookTimeout: 120_000,
        },
      },
    ],
  },
})
