import { describe, expect, it } from 'vitest'
import { createOffsetBook } from '../../../../core/kafka/offset-book.js'

const rec = (topic: string, partition: number, offset: number) => ({ topic, partition, offset })

describe('core > kafka > offset-book', () => {
  it('commits one past the highest processed record, never backwards', () => {
    const book = createOffsetBook()
    book.processed([rec('t', 0, 4), rec('t', 0, 7), rec('t', 1, 2)])
    book.processed([rec('t', 0, 5)])
    expect(book.uncommitted()).toEqual([
      { topic: 't', partition: 0, offset: 8 },
      { topic: 't', partition: 1, offset: 3 },
    ])
    book.committed([{ topic: 't', partition: 0, offset: 8 }])
    expect(book.uncommitted()).toEqual([{ topic: 't', partition: 1, offset: 3 }])
    expect(book.uncommitted([{ topic: 't', partition: 0 }])).toEqual([])
  })

  it('never commits a revoked partition again (eager rebalance: its new owner has it)', () => {
    const book = createOffsetBook()
    book.processed([rec('t', 0, 4), rec('t', 1, 9)])
    book.forget([{ topic: 't', partition: 0 }])
    expect(book.uncommitted()).toEqual([{ topic: 't', partition: 1, offset: 10 }])
  })
})
