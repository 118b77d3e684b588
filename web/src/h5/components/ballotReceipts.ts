/**
 * Receipt codes the voter was given in this tab. The API shows a receipt once and keeps only its
 * fingerprint, so the page remembers it for the rest of the session (sessionStorage: gone with the
 * tab, never in localStorage) to show it on the ballot and check it after the close.
 */
const KEY = 'xinyi.ballot-receipts'

type Receipts = Record<string, { household_id: string; receipt_code: string }>

function read(): Receipts {
  try {
    const parsed: unknown = JSON.parse(sessionStorage.getItem(KEY) ?? '{}')
    return typeof parsed === 'object' && parsed !== null ? (parsed as Receipts) : {}
  } catch {
    return {}
  }
}

export function rememberedReceipt(estate: string, ballotId: string): string | null {
  return read()[`${estate}/${ballotId}`]?.receipt_code ?? null
}

export function rememberReceipt(estate: string, ballotId: string, householdId: string, receiptCode: string): void {
  const receipts = read()
  receipts[`${estate}/${ballotId}`] = { household_id: householdId, receipt_code: receiptCode }
  try {
    sessionStorage.setItem(KEY, JSON.stringify(receipts))
  } catch {
    // Storage refused (private mode): the code stays on screen until the page is left.
  }
}
