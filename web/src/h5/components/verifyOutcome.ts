/** What the verify page found for one payment, shown by VerifyResult.vue. */
import type { Verdict } from '@/verify/verify'

export interface DownloadFile {
  name: string
  /** An object URL of the file's content. */
  url: string
}

export interface VerifyFiles {
  bundle: DownloadFile
  logKey: DownloadFile
  opening: DownloadFile
  witnessKeys: string[]
}

export interface VerifyOutcome {
  transactionId: string
  verdict: Verdict | null
  /** Why it could not be checked at all (an API's reason, a malformed key), else null. */
  error: string | null
  /** The month whose close signed the checkpoint, and when it was published (when known). */
  periodOfCheckpoint: string | null
  publishedAt: string | null
  files: VerifyFiles | null
}
