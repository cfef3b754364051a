import { flatlineRule } from './flatline/flatline.js'
import { missingDataRule } from './missing-data/missing-data.js'
import { news2Rule } from './news2/news2.js'
import { noSignalRule } from './no-signal/no-signal.js'
import { rateOfChangeRule } from './rate-of-change/rate-of-change.js'
import { defineRule, type RegisteredRule } from './rule.js'
import { technicalRule } from './technical/technical.js'
import { thresholdRule } from './threshold/threshold.js'

/** Every rule type, explicitly (no registration by import side effect; conventions "anti-patterns"). */
export const RULE_TYPES: readonly RegisteredRule[] = [
  defineRule(thresholdRule),
  defineRule(rateOfChangeRule),
  defineRule(news2Rule),
  defineRule(missingDataRule),
  defineRule(flatlineRule),
  defineRule(technicalRule),
  defineRule(noSignalRule),
]
