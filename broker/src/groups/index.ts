// Replaced by the group coordinator implementation.
export interface GroupCoordinator {}
