/**
 * The theme in use (colours on or off, Unicode or ASCII glyphs).
 */
import {useContext} from 'react';
import {ThemeContext, type Theme} from './theme.js';

/** The theme provided by the app (colour and glyphs). */
export function useTheme(): Theme {
	return useContext(ThemeContext);
}
