/**
 * A ticking frame counter for spinners and "time left", running only while there is work to show, so an idle
 * screen does not redraw. The timer runs on the main thread, which stays free because inference runs in workers.
 */
import {useEffect, useState} from 'react';

/** How often a spinner moves. */
export const SPINNER_MS = 100;

/** A frame number that advances every SPINNER_MS while `active`. */
export function useSpinner(active: boolean, intervalMs = SPINNER_MS): number {
	const [frame, setFrame] = useState(0);
	useEffect(() => {
		if (!active) return;
		const timer = setInterval(() => setFrame(f => f + 1), intervalMs);
		return () => clearInterval(timer);
	}, [active, intervalMs]);
	return frame;
}
