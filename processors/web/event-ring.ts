export interface LiveEvent {
  id: number
  type: string
  data: unknown
}

export type CatchUp = { kind: 'events'; events: LiveEvent[] } | { kind: 'resync' }

/**
 * The live stream's memory: every event gets the next id; a browser reconnecting with
 * Last-Event-ID gets exactly the events after it, or `resync` when they have left the buffer
 * (then it refetches the snapshot), so it never silently misses one.
 */
export function createEventRing(capacity: number) {
  const events: LiveEvent[] = []
  let nextId = 1
  const listeners = new Set<(event: LiveEvent) => void>()
  return {
    push(type: string, data: unknown): LiveEvent {
      const event = { id: nextId++, type, data }
      events.push(event)
      if (events.length > capacity) events.shift()
      for (const listener of listeners) listener(event)
      return event
    },
    /** The id of the latest event (0 before any), which a snapshot carries. */
    lastId: (): number => nextId - 1,
    since(lastId: number): CatchUp {
      if (lastId >= nextId - 1) return { kind: 'events', events: [] }
      const first = events[0]
      if (lastId < 0 || !first || first.id > lastId + 1) return { kind: 'resync' }
      return { kind: 'events', events: events.slice(lastId + 1 - first.id) }
    },
    subscribe(listener: (event: LiveEvent) => void): () => void {
      listeners.add(listener)
      return () => listeners.delete(listener)
    },
    size: () => events.length,
  }
}
export type EventRing = ReturnType<typeof createEventRing>
