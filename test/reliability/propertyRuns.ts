/** How many random draws the property-based run makes (npm run test:soak raises it). */
export const PROPERTY_RUNS = 20;
