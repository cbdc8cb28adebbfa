import { clearResults } from './table';

/** Before the fault suite: no rows of an earlier run. */
export default function setup(): void {
  clearResults();
}
